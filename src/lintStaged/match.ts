import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { LintStagedConfig } from './configs.js';

/**
 * The paths some config's task would receive, judged the way lint-staged 16 does (lib/
 * groupFilesByConfig.js, lib/matchFiles.js): each file belongs to the deepest config whose folder
 * holds it, and a glob without `/` matches the file name at any depth (matchBase), `dot` on. A
 * config whose globs are code (null) takes every file under its folder.
 */
export function matchedPaths(configs: LintStagedConfig[], paths: string[]): string[] {
  const depth = (c: LintStagedConfig) => (c.dir === '' ? 0 : c.dir.split('/').length);
  const deepestFirst = [...configs].sort((a, b) => depth(b) - depth(a));
  const out: string[] = [];
  for (const path of paths) {
    const owner = deepestFirst.find((c) => c.dir === '' || path.startsWith(`${c.dir}/`));
    if (!owner) continue;
    if (owner.globs === null || owner.globs.some((g) => g.startsWith('../'))) {
      out.push(path);
      continue;
    }
    const rel = owner.dir ? posix.relative(owner.dir, path) : path;
    if (owner.globs.some((g) => lintStagedMatch(g, rel))) out.push(path);
  }
  return out;
}

/**
 * One glob on one config-relative path, with lint-staged's own picomatch options. A glob picomatch
 * refuses (an unbalanced bracket) matches: lint-staged then runs and reports its own error.
 */
export function lintStagedMatch(glob: string, rel: string): boolean {
  try {
    // posixSlashes is picomatch's, missing from its types.
    const options: picomatch.PicomatchOptions & { posixSlashes: boolean } = { dot: true, matchBase: !glob.includes('/'), posixSlashes: true, strictBrackets: true };
    return picomatch(glob, options)(rel);
  } catch {
    return true;
  }
}
