import { chmod, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GuardError } from './errors.js';
import { loadConfig } from './config.js';
import { pathExists, readTextOrNull } from './fsx.js';
import { repoPaths } from './git.js';
import type { RelevanceFacts } from './checks/definition.js';
import { READS_HERE, readPatterns, readsCompleteLine, readsLine, relevantFunction, shimPatterns, WATCH_FILES, type ShimPatterns } from './hookPatterns.js';

/*
 * Hooks are written here rather than through simple-git-hooks: simple-git-hooks overwrites and, on
 * uninstall, deletes whatever hook is in place, and loom-guard must never destroy a hook it did not
 * write. A foreign hook is kept beside ours as <hook>.loom-guard-chained and run first by the shim.
 */

// pre-merge-commit: git runs it (not pre-commit) for a merge that commits without conflicts.
// post-checkout, post-merge and post-rewrite refresh the pre-commit shims' patterns when a
// checkout, pull or rebase brings a config or a crate manifest (refreshShims).
export const HOOKS = ['pre-commit', 'pre-merge-commit', 'pre-push', 'post-checkout', 'post-merge', 'post-rewrite'] as const;
export type HookName = (typeof HOOKS)[number];
/** The shims that carry no-op patterns. */
export const PATTERN_HOOKS = ['pre-commit', 'pre-merge-commit'] as const;

/** Every shim carries this marker; a hook without it is not ours. */
export const SHIM_MARKER = 'loom-guard-shim v1';
export const CHAINED_SUFFIX = '.loom-guard-chained';

const shimDir = fileURLToPath(new URL('../hooks/', import.meta.url));
const cliPath = fileURLToPath(new URL('./cli.js', import.meta.url));

/**
 * The shim as shipped in hooks/, with the absolute paths of this install recorded and, for
 * pre-commit, the no-op patterns of the repository's effective config.
 */
export async function renderShim(hook: HookName, root: string, patterns?: ShimPatterns | null): Promise<string> {
  const template = await readFile(join(shimDir, hook), 'utf8');
  let shim = template
    .replace(/^recorded_node=''$/m, `recorded_node=${shellQuote(process.execPath)}`)
    .replace(/^recorded_cli=''$/m, `recorded_cli=${shellQuote(cliPath)}`);
  if ((PATTERN_HOOKS as readonly string[]).includes(hook)) {
    const own = patterns === undefined ? await repoShimPatterns(root) : patterns;
    if (own) {
      shim = shim
        .replace(/^fast_path=0$/m, 'fast_path=1')
        .replace(/^watch_files=''$/m, `watch_files='${WATCH_FILES.join(' ')}'`)
        .replace(/^reads_complete=''$/m, readsCompleteLine(own))
        .replace(/^relevant\(\) \{ return 0; \}$/m, relevantFunction(own));
    }
  }
  return shim;
}

/**
 * The no-op patterns for this repository, or null (no-op path off) when unsure: the checks'
 * relevant paths and the files cargo's dep-info shows read outside every crate folder
 * (cargo/outsideReads.ts; no cargo runs, the records are read as they are).
 */
export async function repoShimPatterns(root: string): Promise<ShimPatterns | null> {
  const facts = await repoRelevanceFacts(root);
  if (!facts) return null;
  const { loadOutsideReads, UNKNOWN_READS } = await import('./cargo/outsideReads.js');
  const { gitDir } = await repoPaths(root);
  const reads = await loadOutsideReads(root, gitDir).catch((e: unknown) => UNKNOWN_READS(e instanceof Error ? e.message : String(e)));
  return shimPatterns(facts, reads, await realpath(root));
}

/** What the checks' relevant paths are computed from (checks/definition.ts), or null when unsure. */
export async function repoRelevanceFacts(root: string): Promise<RelevanceFacts | null> {
  const { config } = await loadConfig(root);
  const manifestText = await readTextOrNull(join(root, 'Cargo.toml'));
  let manifest: Record<string, unknown> | null = null;
  if (manifestText !== null) {
    const { parse } = await import('smol-toml');
    try {
      manifest = parse(manifestText) as Record<string, unknown>;
    } catch {
      return null; // unreadable manifest: let Node look at every commit
    }
  }
  const { indexManifests } = await import('./cargo/crates.js');
  const manifests = await indexManifests(root).catch(() => null);
  if (manifests === null) return null;
  const { findLintStagedConfigs } = await import('./lintStaged/configs.js');
  const lintStaged = await findLintStagedConfigs(root, { readIndex: true });
  return { config, rootManifest: manifest, manifestDirs: manifests.dirs, lintStaged };
}

/** True when a config or manifest the shim's patterns came from is newer than the shim. */
export async function shimIsStale(root: string, hookPath: string): Promise<boolean> {
  const shimTime = await stat(hookPath).then((s) => s.mtimeMs, () => null);
  if (shimTime === null) return false;
  for (const file of WATCH_FILES) {
    const t = await stat(join(root, file)).then((s) => s.mtimeMs, () => null);
    if (t !== null && t > shimTime) return true;
  }
  return false;
}

/** The part of a shim its patterns decide (the no-op switch, watched files, the sh function). */
export function patternPart(shim: string): string {
  const lines = shim.split('\n');
  const start = lines.findIndex((l) => /^fast_path=/.test(l));
  const end = lines.findIndex((l, i) => i > start && l === '}');
  const oneLine = lines.findIndex((l) => l.startsWith('relevant() { return 0; }'));
  return lines.slice(start, Math.max(end, oneLine) + 1).join('\n');
}

/** Only a shim rendered by install records a loom-guard; the shipped one (core.hooksPath) is never rewritten. */
const renderedByInstall = (shim: string | null): shim is string => shim !== null && isOurs(shim) && !/^recorded_cli=''$/m.test(shim);

/**
 * The installed pattern shims whose patterns differ from what the repository says now, each with
 * the shim it should be. Empty when none is installed or all are current.
 */
export async function staleShims(root: string, hooksDir: string, patterns?: ShimPatterns | null): Promise<Array<{ hook: (typeof PATTERN_HOOKS)[number]; path: string; fresh: string }>> {
  const out = [];
  let own = patterns;
  for (const hook of PATTERN_HOOKS) {
    const path = join(hooksDir, hook);
    const current = await readTextOrNull(path);
    if (!renderedByInstall(current)) continue;
    if (own === undefined) own = await repoShimPatterns(root);
    const fresh = await renderShim(hook, root, own);
    if (patternPart(fresh) !== patternPart(current)) out.push({ hook, path, fresh });
  }
  return out;
}

/**
 * Re-renders the installed pattern shims whose patterns are no longer what the repository says
 * (after a checkout, pull or rebase, or a commit that changes a config). A shim whose watched files
 * are newer is rewritten even when unchanged, so its mtime stops handing every commit to Node.
 */
export async function refreshShims(root: string, hooksDir: string): Promise<boolean> {
  let refreshed = false;
  // Nothing installed (core.hooksPath shims, or no hooks): no patterns to compute.
  const installed = await Promise.all(PATTERN_HOOKS.map((hook) => readTextOrNull(join(hooksDir, hook))));
  if (!installed.some(renderedByInstall)) return false;
  const patterns = await repoShimPatterns(root);
  const stale = new Map((await staleShims(root, hooksDir, patterns)).map((s) => [s.path, s.fresh]));
  for (const hook of PATTERN_HOOKS) {
    const path = join(hooksDir, hook);
    let fresh = stale.get(path);
    if (fresh === undefined && (await shimIsStale(root, path))) {
      const current = await readTextOrNull(path);
      if (renderedByInstall(current)) fresh = await renderShim(hook, root, patterns);
    }
    if (fresh === undefined) continue;
    await writeShim(path, fresh);
    refreshed = true;
  }
  return refreshed;
}

/** An installed pattern shim whose no-op path is on but whose dep-info record was not complete. */
async function readsIncomplete(hooksDir: string): Promise<boolean> {
  for (const hook of PATTERN_HOOKS) {
    const shim = await readTextOrNull(join(hooksDir, hook));
    if (renderedByInstall(shim) && /^fast_path=1$/m.test(shim) && /^reads_complete=''$/m.test(shim)) return true;
  }
  return false;
}

/**
 * Brings only the shims' dep-info lines up to date (the files read outside the crates, and where
 * the records were complete), from the records as they are: one `git ls-files` and the records,
 * not the checks' patterns (configs, lint-staged, manifests), which a build does not change. A
 * shim written before these lines existed gets the full refresh.
 */
export async function refreshReads(root: string, gitDir: string, hooksDir: string): Promise<boolean> {
  const shims: Array<{ path: string; text: string }> = [];
  for (const hook of PATTERN_HOOKS) {
    const path = join(hooksDir, hook);
    const text = await readTextOrNull(path);
    if (renderedByInstall(text) && /^fast_path=1$/m.test(text)) shims.push({ path, text });
  }
  if (!shims.length) return false;
  const { loadOutsideReads, UNKNOWN_READS } = await import('./cargo/outsideReads.js');
  const reads = await loadOutsideReads(root, gitDir).catch((e: unknown) => UNKNOWN_READS(e instanceof Error ? e.message : String(e)));
  const line = readsLine(readPatterns(reads));
  const complete = readsCompleteLine({ patterns: [], readsComplete: reads.complete ? await realpath(root) : null });
  let changed = false;
  for (const { path, text } of shims) {
    const lines = text.split('\n');
    const at = lines.indexOf(READS_HERE);
    const c = lines.findIndex((l) => l.startsWith('reads_complete='));
    if (at < 1 || c < 0) return (await refreshShims(root, hooksDir)) || changed;
    if (lines[at - 1] === line && lines[c] === complete) continue;
    lines[at - 1] = line;
    lines[c] = complete;
    await writeShim(path, lines.join('\n'));
    changed = true;
  }
  return changed;
}

export interface RunFacts {
  /** A staged path may change the patterns (a config, a manifest). */
  manifestsChanged?: boolean;
  /** clippy, build or test ran: cargo's dep-info may name new files read outside the crates (a new include_str!). */
  cargoRan?: boolean;
}

/**
 * At the end of a Node run of pre-commit or pre-push. A config or manifest staged, or a watched
 * file newer than the shim: the full refresh. Else, when cargo ran or the shim still waits for
 * complete records: the dep-info lines only (refreshReads). Neither runs cargo.
 */
export async function refreshStaleShim(paths: { root: string; gitDir: string; hooksDir: string }, facts: RunFacts = {}): Promise<boolean> {
  const { root, gitDir, hooksDir } = paths;
  let anyStale = facts.manifestsChanged ?? false;
  for (const hook of PATTERN_HOOKS) anyStale ||= await shimIsStale(root, join(hooksDir, hook));
  if (anyStale) return refreshShims(root, hooksDir);
  if (facts.cargoRan || (await readsIncomplete(hooksDir))) return refreshReads(root, gitDir, hooksDir);
  return false;
}

async function writeShim(path: string, shim: string): Promise<void> {
  // Write beside and rename, so git never sees a half-written hook.
  const tmp = `${path}.loom-guard-tmp`;
  await writeFile(tmp, shim, { mode: 0o755 });
  await chmod(tmp, 0o755);
  await rename(tmp, path);
}

/** Single-quotes a value for sh: the recorded paths are data, never code. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export function isOurs(content: string | null): boolean {
  return content !== null && content.includes(SHIM_MARKER);
}


export interface HookAction {
  hook: HookName;
  path: string;
  action: 'installed' | 'updated' | 'chained' | 'removed' | 'restored' | 'absent' | 'foreign-kept';
}

export async function installHooks(cwd: string): Promise<{ hooksDir: string; actions: HookAction[] }> {
  const { hooksDir, root } = await repoPaths(cwd);
  await mkdir(hooksDir, { recursive: true });
  // Check every hook before writing any, so a refusal leaves nothing half-installed.
  const plans: Array<{ hook: HookName; path: string; current: string | null }> = [];
  for (const hook of HOOKS) {
    const path = join(hooksDir, hook);
    const current = await readTextOrNull(path);
    if (current !== null && !isOurs(current) && (await pathExists(path + CHAINED_SUFFIX))) {
      throw new GuardError(
        `${path}: a hook loom-guard did not write is in place, and ${hook}${CHAINED_SUFFIX} is already taken: merge or move one of them, then run loom-guard install again`,
      );
    }
    plans.push({ hook, path, current });
  }
  const actions: HookAction[] = [];
  for (const { hook, path, current } of plans) {
    let action: HookAction['action'] = 'installed';
    if (current !== null && !isOurs(current)) {
      await rename(path, path + CHAINED_SUFFIX);
      action = 'chained';
    } else if (current !== null) {
      action = 'updated';
    }
    await writeShim(path, await renderShim(hook, root));
    actions.push({ hook, path, action });
  }
  return { hooksDir, actions };
}

export async function uninstallHooks(cwd: string): Promise<{ hooksDir: string; actions: HookAction[] }> {
  const { hooksDir } = await repoPaths(cwd);
  const actions: HookAction[] = [];
  for (const hook of HOOKS) {
    const path = join(hooksDir, hook);
    const current = await readTextOrNull(path);
    const chained = path + CHAINED_SUFFIX;
    if (current !== null && !isOurs(current)) {
      actions.push({ hook, path, action: 'foreign-kept' });
      continue;
    }
    if (current !== null) await rm(path);
    if (await pathExists(chained)) {
      // rename keeps the chained hook's bytes and mode exactly as they were before install.
      await rename(chained, path);
      actions.push({ hook, path, action: 'restored' });
    } else {
      actions.push({ hook, path, action: current === null ? 'absent' : 'removed' });
    }
  }
  return { hooksDir, actions };
}
