import { readFile } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { git } from '../git.js';

/*
 * Finding the repository's lint-staged configurations without loading lint-staged: the same
 * file names lint-staged 16 searches (lib/configFiles.js), tracked or untracked-not-ignored, and
 * their globs where they can be read as data (JSON, package.json's "lint-staged" key). A JS or
 * YAML config has globs we do not evaluate: null, and callers treat its whole folder as relevant.
 */

export const CONFIG_NAMES = [
  'package.json',
  'package.yaml',
  'package.yml',
  '.lintstagedrc',
  '.lintstagedrc.json',
  '.lintstagedrc.yaml',
  '.lintstagedrc.yml',
  '.lintstagedrc.mjs',
  '.lintstagedrc.mts',
  '.lintstagedrc.js',
  '.lintstagedrc.ts',
  '.lintstagedrc.cjs',
  '.lintstagedrc.cts',
  'lint-staged.config.mjs',
  'lint-staged.config.mts',
  'lint-staged.config.js',
  'lint-staged.config.ts',
  'lint-staged.config.cjs',
  'lint-staged.config.cts',
];

/** sh patterns of every file that may hold a lint-staged configuration, at any depth. */
export const CONFIG_FILE_PATTERNS = ['package.json', 'package.yaml', 'package.yml', '.lintstagedrc*', 'lint-staged.config.*'].flatMap((n) => [n, `*/${n}`]);

export function isConfigName(path: string): boolean {
  return CONFIG_NAMES.includes(posix.basename(path));
}

export interface LintStagedConfig {
  /** Repository-relative path of the config file. */
  file: string;
  /** Its folder ('' for the root): tasks run there, on the staged files under it. */
  dir: string;
  /** The globs, or null when the file is code or YAML. */
  globs: string[] | null;
}

/** The globs of a config's text, undefined when the file holds no lint-staged config at all. */
export function parseConfigGlobs(file: string, text: string): string[] | null | undefined {
  const name = posix.basename(file);
  if (name === 'package.yaml' || name === 'package.yml') return /^lint-staged\s*:/m.test(text) ? null : undefined;
  if (name === 'package.json' || name.endsWith('.json') || name === '.lintstagedrc') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // package.json that does not parse is ignored by lint-staged too; .lintstagedrc may be YAML.
      return name === 'package.json' ? undefined : null;
    }
    if (name === 'package.json') {
      if (!data || typeof data !== 'object' || !('lint-staged' in data)) return undefined;
      data = (data as Record<string, unknown>)['lint-staged'];
    }
    return data && typeof data === 'object' && !Array.isArray(data) ? Object.keys(data) : null;
  }
  return null;
}

/**
 * Every lint-staged configuration under `root`, deepest first (the order lint-staged assigns
 * files in). `readIndex` also reads the staged version and unions the globs: a shim built from
 * both never misses a file either one would lint.
 */
export async function findLintStagedConfigs(root: string, { readIndex = false } = {}): Promise<LintStagedConfig[]> {
  const pathspecs = CONFIG_NAMES.map((n) => `:(glob)**/${n}`);
  const listed = await git(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...pathspecs]);
  if (listed.exitCode !== 0) return [];
  const files = [...new Set(listed.stdout.toString('utf8').split('\0').filter(Boolean))].filter((f) => !f.split('/').includes('node_modules'));
  const configs: LintStagedConfig[] = [];
  for (const file of files) {
    const texts: string[] = [];
    const worktree = await readFile(join(root, file), 'utf8').catch(() => null);
    if (worktree !== null) texts.push(worktree);
    if (readIndex) {
      const staged = await git(root, ['cat-file', 'blob', `:${file}`]);
      if (staged.exitCode === 0) texts.push(staged.stdout.toString('utf8'));
    }
    let found = false;
    let globs: string[] | null = [];
    for (const text of texts) {
      const parsed = parseConfigGlobs(file, text);
      if (parsed === undefined) continue;
      found = true;
      globs = parsed === null || globs === null ? null : [...new Set([...globs, ...parsed])];
    }
    if (!found) continue;
    const dir = dirname(file);
    configs.push({ file, dir: dir === '.' ? '' : dir, globs });
  }
  const depth = (c: LintStagedConfig) => (c.dir === '' ? 0 : c.dir.split('/').length);
  return configs.sort((a, b) => depth(b) - depth(a) || a.file.localeCompare(b.file));
}
