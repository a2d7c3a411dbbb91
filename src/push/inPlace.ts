import { headCommit, type RepoPaths } from '../git.js';
import { acquireRepoLock } from '../isolate/lock.js';
import type { Reporter } from '../report.js';
import { run } from '../proc.js';
import { configsAbove } from './cache.js';

/*
 * When the full check may run in the user's working tree instead of the private checkout: only
 * when that is provably what a fresh clone of the pushed commit would hold, as far as cargo,
 * rustfmt, clippy and build scripts can tell:
 * - HEAD is the commit and `git status` shows nothing: no staged, unstaged or untracked change;
 * - no file is ignored except the `target/` folder at the top: an ignored file (a local
 *   `.cargo/config.toml`, an `.env`, a generated source, a `result` symlink) exists in no fresh
 *   clone, yet a build script, `include_str!` or a config search could read it;
 * - no index entry is marked assume-unchanged or skip-worktree (git status would not look at it);
 * - the cargo, rustfmt and clippy config files found above the repository are the same (by
 *   content) as those found above the private checkout, i.e. the user-level ones only.
 * Anything else, or any doubt, and the private checkout is used.
 */

/** Ignored entries a fresh clone's build would create itself, and which the check may see. */
const ALLOWED_IGNORED = new Set(['target/']);

/** Why the working tree is not provably `commit`, or null when it is. */
export async function whyNotInPlace(root: string, commit: string, privateTree: string): Promise<string | null> {
  if ((await headCommit(root)) !== commit) return 'HEAD is another commit';
  // GIT_OPTIONAL_LOCKS=0: git status must not write the user's index while refreshing it.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const [status, flags, here, there] = await Promise.all([
    run('git', ['status', '--porcelain', '-z', '--untracked-files=normal', '--ignored=traditional'], { cwd: root, env }),
    run('git', ['ls-files', '-v', '-z'], { cwd: root, env }),
    configsAbove(root),
    configsAbove(privateTree),
  ]);
  if (status.exitCode !== 0 || flags.exitCode !== 0) return 'git status failed';
  for (const entry of status.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    const path = entry.slice(3);
    if (entry.startsWith('!! ')) {
      if (!ALLOWED_IGNORED.has(path)) return `the ignored ${path} is in no fresh clone`;
    } else {
      return `${path} is ${entry.startsWith('?? ') ? 'untracked' : 'changed'}`;
    }
  }
  for (const entry of flags.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    const tag = entry[0] ?? '';
    if (tag === 'S' || (tag >= 'a' && tag <= 'z')) return `${entry.slice(2)} is marked assume-unchanged or skip-worktree`;
  }
  if (here.join('\0') !== there.join('\0')) return 'a cargo, rustfmt or clippy config in a folder above the repository would apply';
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
