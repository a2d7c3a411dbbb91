import { headCommit, type RepoPaths } from '../git.js';
import { acquireRepoLock } from '../isolate/lock.js';
import type { Reporter } from '../report.js';
import { run } from '../proc.js';
import { configsAbove } from './cache.js';
import { join } from 'node:path';
import { pathExists } from '../fsx.js';
import type { DepInfo } from '../cargo/depInfo.js';

/*
 * When the full check may run in the user's working tree instead of the private checkout: only
 * when the result provably equals a fresh clone's, as far as cargo, rustfmt, clippy and build
 * scripts can tell. Before the run (whyNotInPlace):
 * - HEAD is the commit and no tracked file is staged, changed or deleted;
 * - no index entry is marked assume-unchanged or skip-worktree (git status would not look at it);
 * - no untracked or ignored file is one that the tools read without any unit recording it: the
 *   workspace's `.cargo/config*`, `rust-toolchain*`, `Cargo.lock`, a `Cargo.toml`, a rustfmt or
 *   clippy config anywhere;
 * - the cargo, rustfmt and clippy config files found above the repository are the same (by
 *   content) as those found above the private checkout, i.e. the user-level ones only.
 * Untracked and ignored files may otherwise exist (node_modules/, .env, notes): after the run,
 * cargo's dep-info must show that no unit read any of them (readOfExtras). If it does, the run
 * does not count and the private checkout is used.
 */

/** Ignored entries a fresh clone's build would create itself, and which the check may see. */
const ALLOWED_IGNORED = new Set(['target/']);

/** Untracked or ignored files that cargo, rustup, rustfmt or clippy read on their own, by path from the root. */
const ROOT_CONFIGS = ['.cargo/config', '.cargo/config.toml', 'rust-toolchain', 'rust-toolchain.toml', 'Cargo.lock', 'Cargo.toml'];
/** ...and by name, in any folder. */
const ANY_CONFIGS = new Set(['Cargo.toml', 'rustfmt.toml', '.rustfmt.toml', 'clippy.toml', '.clippy.toml']);

/** The working tree is the commit, except for these untracked and ignored entries (`dir/` for a whole folder). */
export interface InPlaceState {
  extras: Array<{ path: string; kind: 'untracked' | 'ignored' }>;
}

/** Why the working tree cannot be `commit` for the check, or what besides the commit's files it holds. */
export async function whyNotInPlace(root: string, commit: string, privateTree: string): Promise<{ why: string } | InPlaceState> {
  if ((await headCommit(root)) !== commit) return { why: 'HEAD is another commit' };
  // GIT_OPTIONAL_LOCKS=0: git status must not write the user's index while refreshing it.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const [status, flags, here, there] = await Promise.all([
    run('git', ['status', '--porcelain', '-z', '--untracked-files=normal', '--ignored=traditional'], { cwd: root, env }),
    run('git', ['ls-files', '-v', '-z'], { cwd: root, env }),
    configsAbove(root),
    configsAbove(privateTree),
  ]);
  if (status.exitCode !== 0 || flags.exitCode !== 0) return { why: 'git status failed' };
  const extras: InPlaceState['extras'] = [];
  for (const entry of status.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    const path = entry.slice(3);
    const kind = entry.startsWith('!! ') ? 'ignored' : entry.startsWith('?? ') ? 'untracked' : null;
    if (!kind) return { why: `${path} is changed` };
    if (kind === 'ignored' && ALLOWED_IGNORED.has(path)) continue;
    const config = path.endsWith('/') ? ROOT_CONFIGS.find((c) => c.startsWith(path)) : ROOT_CONFIGS.includes(path) || ANY_CONFIGS.has(path.slice(path.lastIndexOf('/') + 1)) ? path : undefined;
    if (config && (await pathExists(join(root, config)))) return { why: `the ${kind} ${config} is in no fresh clone` };
    extras.push({ path, kind });
  }
  for (const entry of flags.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    const tag = entry[0] ?? '';
    if (tag === 'S' || (tag >= 'a' && tag <= 'z')) return { why: `${entry.slice(2)} is marked assume-unchanged or skip-worktree` };
  }
  if (here.join('\0') !== there.join('\0')) return { why: 'a cargo, rustfmt or clippy config in a folder above the repository would apply' };
  return { extras };
}

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

/**
 * The first untracked or ignored entry some unit read, as one line, or null when none was: the
 * proof that a run in place saw what a fresh clone holds. `target` (repository-relative, with a
 * trailing slash) is the build's own output, which a unit may read (OUT_DIR).
 */
export function readOfExtras(deps: Pick<DepInfo, 'allReads' | 'unitsReading'>, extras: InPlaceState['extras'], target: string | null): string | null {
  const { files, folders } = deps.allReads();
  for (const { path, kind } of extras) {
    if (target && (path === target || path.startsWith(target))) continue;
    const dir = path.endsWith('/') ? path.slice(0, -1) : null;
    const read = dir === null ? (files.includes(path) || folders.some((f) => under(path, f)) ? path : null) : (files.find((f) => under(f, dir)) ?? folders.find((f) => under(f, dir) || under(dir, f)) ?? null);
    if (read === null) continue;
    const reader = deps.unitsReading(read)[0];
    const by = reader ? `${reader.crate ?? 'a crate outside the workspace'} (${reader.target}) read ${read === path ? 'it' : read}` : `a unit read ${read}`;
    return `the ${kind} ${path} is in no fresh clone, and ${by}`;
  }
  return null;
}

/**
 * The one place the full check runs in the user's working tree: under the working tree's lock (the
 * one every pre-commit takes), around both the proof and the run, so that no other loom-guard run
 * hides or restores files in between.
 */
export async function inWorkingTree<T>(paths: Pick<RepoPaths, 'gitDir'>, reporter: Reporter, work: () => Promise<T>): Promise<T> {
  await using _lock = await acquireRepoLock(paths, { purpose: 'pre-push', reporter });
  return await work();
}
