import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { run } from '../proc.js';
import { version } from '../version.js';

/*
 * Which trees already passed which full-check steps. A record holds for one fingerprint of
 * everything besides the tree that can change a verdict (verdictFingerprint below), and, when the
 * tree has path dependencies outside the repository, for one state of those folders. It lives in
 * the git dir, so it is never committed, and it is written whole to a temporary file and renamed,
 * so a reader never sees half a file; a corrupt or foreign file is ignored and rewritten.
 * Concurrent runs may each drop the other's newest entry: that costs one re-check, never a wrong pass.
 */

export const CACHE_FILE = 'push-cache.json';
const FORMAT = 1;
/** Enough for every branch anyone keeps around, small enough to rewrite on each push. */
const MAX_ENTRIES = 500;

interface CacheEntry {
  tree: string;
  fingerprint: string;
  steps: string[];
  at: number;
  /** External path dependencies (relative to the repository) and their fingerprint when recorded. */
  ext?: string[];
  extHash?: string;
}

interface CacheFile {
  format: number;
  entries: CacheEntry[];
}

/** External folders a verdict depends on: where they are and what they held. */
export interface ExternalState {
  rels: string[];
  hash: string;
}

/**
 * Environment that can change what cargo, rustc, rustdoc, rustfmt or clippy decide: flags, the
 * tools themselves and their wrappers, the toolchain, and every CARGO_* setting (profiles, build
 * options, config overrides) except those that only say where or how verbosely to work.
 */
const VERDICT_ENV = /^(RUSTFLAGS|RUSTDOCFLAGS|RUSTC|RUSTC_WRAPPER|RUSTC_WORKSPACE_WRAPPER|RUSTDOC|RUSTFMT|RUSTUP_TOOLCHAIN|CLIPPY_CONF_DIR|CARGO_.+)$/;
const NOT_VERDICT_ENV = /^CARGO_(TARGET_DIR|BUILD_TARGET_DIR|BUILD_JOBS|INCREMENTAL|TERM_.*|HTTP_.*|NET_.*|LOG.*|CACHE_AUTO_CLEAN_FREQUENCY)$/;

export function verdictEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(env).sort()) {
    const value = env[key];
    if (value !== undefined && VERDICT_ENV.test(key) && !NOT_VERDICT_ENV.test(key)) out[key] = value;
  }
  return out;
}

const CARGO_CONFIGS = ['.cargo/config', '.cargo/config.toml'];
const RUSTFMT_CONFIGS = ['rustfmt.toml', '.rustfmt.toml'];
const CLIPPY_CONFIGS = ['clippy.toml', '.clippy.toml'];

/**
 * The cargo, rustfmt and clippy config files a run in `treeDir` reads from outside the tree:
 * every folder above it (all three tools search upwards), CARGO_HOME, rustfmt's home and config
 * folder fallbacks, CLIPPY_CONF_DIR. Returned as `kind: content` in search order, without the
 * paths, so two places that read the same files compare equal.
 */
export async function configsAbove(treeDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  const candidates: Array<[string, string]> = [];
  for (let dir = dirname(treeDir); ; dir = dirname(dir)) {
    for (const name of CARGO_CONFIGS) candidates.push(['cargo', join(dir, name)]);
    for (const name of RUSTFMT_CONFIGS) candidates.push(['rustfmt', join(dir, name)]);
    for (const name of CLIPPY_CONFIGS) candidates.push(['clippy', join(dir, name)]);
    if (dirname(dir) === dir) break;
  }
  const cargoHome = env.CARGO_HOME && isAbsolute(env.CARGO_HOME) ? env.CARGO_HOME : join(home, '.cargo');
  for (const name of ['config', 'config.toml']) candidates.push(['cargo', join(cargoHome, name)]);
  for (const name of RUSTFMT_CONFIGS) candidates.push(['rustfmt', join(home, name)]);
  const configHome = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  for (const name of RUSTFMT_CONFIGS) candidates.push(['rustfmt', join(configHome, 'rustfmt', name)]);
  if (env.CLIPPY_CONF_DIR) for (const name of CLIPPY_CONFIGS) candidates.push(['clippy', resolve(treeDir, env.CLIPPY_CONF_DIR, name)]);
  const seen = new Set<string>();
  const found: string[] = [];
  const contents = await Promise.all(candidates.map(([, path]) => readFile(path, 'utf8').catch(() => null)));
  candidates.forEach(([kind, path], i) => {
    const content = contents[i];
    if (content === null || content === undefined || seen.has(path)) return;
    seen.add(path);
    found.push(`${kind}: ${content}`);
  });
  return found;
}

async function versionOf(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const result = await run(command, args, { cwd, env });
    return result.exitCode === 0 ? result.stdout.toString('utf8') : `${command} failed: ${result.all}`;
  } catch {
    return `${command} not found`;
  }
}

/**
 * Everything besides the tree that can change a full-check verdict: the toolchain (`rustc -vV`,
 * `cargo -V`), the config files read from outside the tree where the check runs (configsAbove),
 * the verdict-relevant environment (verdictEnv), loom-guard's effective config and its version.
 */
export async function verdictFingerprint(cwd: string, config: Config, treeDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const [rustc, cargo, configs] = await Promise.all([
    versionOf('rustc', ['-vV'], cwd, env),
    versionOf('cargo', ['-V'], cwd, env),
    configsAbove(treeDir, env),
  ]);
  const hash = createHash('sha256');
  // Keys that cannot change a tip's verdict stay out, so changing them keeps the passed trees:
  // `lint` and `profile` are pre-commit's, and an affected-scope pass builds on a full pass before it.
  const { lint: _lint, profile: _profile, pushScope: _pushScope, ...verdictConfig } = config;
  hash.update(JSON.stringify({ rustc, cargo, configs, env: verdictEnv(env), config: verdictConfig, version: version() }));
  return hash.digest('hex').slice(0, 32);
}

function isEntry(value: unknown): value is CacheEntry {
  if (!value || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.tree === 'string' &&
    typeof e.fingerprint === 'string' &&
    typeof e.at === 'number' &&
    Array.isArray(e.steps) &&
    e.steps.every((s) => typeof s === 'string') &&
    (e.ext === undefined || (Array.isArray(e.ext) && e.ext.every((s) => typeof s === 'string') && typeof e.extHash === 'string'))
  );
}

/** Parses the file's text; anything unreadable is an empty cache. */
export function parseCache(text: string | null): CacheEntry[] {
  if (text === null) return [];
  try {
    const raw = JSON.parse(text) as Partial<CacheFile>;
    if (raw.format !== FORMAT || !Array.isArray(raw.entries)) return [];
    return raw.entries.filter(isEntry);
  } catch {
    return [];
  }
}

export class PushCache {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    /** A promise, so that `rustc -vV` and `cargo -V` run while the per-commit rules do. */
    private readonly fingerprint: Promise<string> | string,
  ) {
    this.file = join(dir, CACHE_FILE);
  }

  private async load(): Promise<CacheEntry[]> {
    return parseCache(await readFile(this.file, 'utf8').catch(() => null));
  }

  /**
   * The steps this tree already passed under the current fingerprint; none when the external
   * folders it depends on (`stateOf` fingerprints them) changed since.
   */
  async passedSteps(tree: string, stateOf: (rels: string[]) => Promise<string | null>): Promise<Set<string>> {
    const fingerprint = await this.fingerprint;
    const entry = (await this.load()).find((e) => e.tree === tree && e.fingerprint === fingerprint);
    if (!entry) return new Set();
    if (entry.ext?.length && (await stateOf(entry.ext)) !== entry.extHash) return new Set();
    return new Set(entry.steps);
  }

  /**
   * The first of `trees` that passed every one of `steps` under the current fingerprint, in the
   * external state it was recorded in (a changed sibling folder makes it no base to compare with), or null.
   */
  async firstPassed(trees: readonly string[], steps: readonly string[], stateOf: (rels: string[]) => Promise<string | null>): Promise<string | null> {
    const fingerprint = await this.fingerprint;
    const entries = (await this.load()).filter((e) => e.fingerprint === fingerprint && steps.every((s) => e.steps.includes(s)));
    for (const tree of trees) {
      const entry = entries.find((e) => e.tree === tree);
      if (!entry) continue;
      if (entry.ext?.length && (await stateOf(entry.ext)) !== entry.extHash) continue;
      return tree;
    }
    return null;
  }

  /** Records that `tree` passed `steps` (added to what it passed before in the same external state). */
  async record(tree: string, steps: string[], external: ExternalState): Promise<void> {
    if (!steps.length) return;
    // Re-read just before writing, so a concurrent run's entries written meanwhile are kept.
    const fingerprint = await this.fingerprint;
    const entries = await this.load();
    const old = entries.find((e) => e.tree === tree && e.fingerprint === fingerprint);
    const same = old && (old.extHash ?? '') === (external.rels.length ? external.hash : '');
    const merged = new Set([...(same ? old.steps : []), ...steps]);
    const rest = entries.filter((e) => e !== old && e.fingerprint === fingerprint);
    const entry: CacheEntry = { tree, fingerprint, steps: [...merged].sort(), at: Date.now() };
    if (external.rels.length) Object.assign(entry, { ext: external.rels, extHash: external.hash });
    const next: CacheEntry[] = [entry, ...rest].slice(0, MAX_ENTRIES);
    const body: CacheFile = { format: FORMAT, entries: next };
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(body)}\n`);
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}
