import { lstat } from 'node:fs/promises';
import type { RepoPaths } from '../git.js';
import type { Reporter } from '../report.js';
import { backupDir } from './journal.js';
import { acquireRepoLock, lockPath } from './lock.js';
import type { RestoreOutcome } from './restore.js';
import type { StagedTreeEdits } from './edits.js';
import { recoverUnderLock, StagedTree } from './stagedTree.js';

/*
 * Runs a job on a working tree that holds exactly the index: unstaged edits, worktree deletions
 * and untracked (non-ignored) files are hidden for the duration and put back afterwards.
 *
 * Why not lint-staged's GitWorkflow: lint-staged 16 does not export it (its package exports only
 * `.` and `./bin`), it hides only the unstaged part of partially staged files (an untracked
 * `helper.rs` the staged `mod helper;` needs stays visible and makes a broken commit pass), and it
 * parks its backup on the user's stash list. This keeps the same idea (a backup first, then hide,
 * then restore) but hides all three kinds, moves only what differs, and keeps its journal in
 * <gitDir>/loom-guard/backup where a later run can finish an interrupted restore.
 */

/**
 * Finishes the restore of a run that was killed (SIGKILL, power loss) before it could put the
 * working tree back, under the working tree's lock. Anything edited since is set aside with advice.
 */
export async function recoverLeftover(paths: RepoPaths, reporter: Reporter): Promise<RestoreOutcome | null> {
  const there = (path: string) => lstat(path).then(() => true, () => false);
  // A lock left by a killed run is broken here too, so nothing of that run is left behind.
  if (!(await there(backupDir(paths.gitDir))) && !(await there(lockPath(paths.gitDir)))) return null;
  await using _lock = await acquireRepoLock(paths, { purpose: 'recovery', reporter });
  return recoverUnderLock(paths, reporter);
}

/**
 * Runs `job` with the working tree showing exactly the index, and restores it afterwards on
 * success, failure, SIGINT, SIGTERM and SIGHUP (src/isolate/signals.ts stops cargo, restores, and
 * exits 130/143/129). `onHidden` hears how many paths were changed for the run; the job gets the
 * tree's edits (src/isolate/edits.ts) to stage what a fixer rewrote.
 */
export async function withStagedTree<T>(
  paths: RepoPaths,
  reporter: Reporter,
  job: (edits: StagedTreeEdits) => Promise<T>,
  onHidden?: (count: number) => void,
): Promise<T> {
  await using tree = await StagedTree.open(paths, { reporter, purpose: 'pre-commit' });
  onHidden?.(tree.hiddenCount);
  return await job(tree.edits);
}
