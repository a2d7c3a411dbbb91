import type { RepoPaths } from '../git.js';
import type { Reporter } from '../report.js';
import type { StagedTreeEdits } from './edits.js';
import { faultPoint } from './faults.js';
import type { StagedTree } from './stagedTree.js';

/*
 * The one StagedTree of a staged run (pre-commit, `check --staged`): opened by the first check that
 * needs the working tree to show exactly the index, kept open while the later checks run, closed
 * once after the last of them (runChecks.ts). One hide, one journal, one restore and one place
 * where writes happen, however many checks (the Rust group, lint-staged, the fixers) use it.
 *
 * It costs nothing until a check asks for it: the isolation code is imported, the lock taken and
 * the plan made on first use, so a run whose checks need no tree (or where nothing differs from the
 * index) behaves as before.
 */

export class SharedStagedTree {
  private opening: Promise<StagedTree> | null = null;

  constructor(
    private readonly paths: RepoPaths,
    private readonly reporter: Reporter,
  ) {}

  /** True once a check opened the tree and until it is closed. */
  get isOpen(): boolean {
    return this.opening !== null;
  }

  /** The tree's edits; the first call opens it (lock, plan, back up, hide). */
  async edits(): Promise<StagedTreeEdits> {
    this.opening ??= import('./stagedTree.js').then(({ StagedTree }) => StagedTree.open(this.paths, { reporter: this.reporter, purpose: 'pre-commit' }));
    const opening = this.opening;
    try {
      return (await opening).edits;
    } catch (error) {
      // A failed open put everything back and released the lock itself: nothing is left to close.
      if (this.opening === opening) this.opening = null;
      throw error;
    }
  }

  /**
   * Between two checks: a fix the previous check journaled but did not stage (fmt fix when clippy
   * failed) is put back now, compare-and-swap, so the next check judges the staged bytes and never
   * stages the other's fix with its own.
   */
  async betweenChecks(): Promise<void> {
    if (!this.opening) return;
    const edits = await this.edits();
    const pending = edits.pendingFixes();
    if (pending.length) await edits.putBack(pending, 'changed while a fixer ran (a save of yours?)');
    await faultPoint('between checks');
  }

  /** Puts the user's working tree back and releases the lock (once); nothing when no check opened it. */
  async close(): Promise<void> {
    const opening = this.opening;
    if (!opening) return;
    this.opening = null;
    const tree = await opening.catch(() => null);
    if (tree) await tree[Symbol.asyncDispose]();
  }
}

/**
 * Runs `job` in the run's shared tree, or, for a caller that has none, in a tree of its own that is
 * put back when the job ends.
 */
export async function inStagedTree<T>(
  shared: SharedStagedTree | undefined,
  paths: RepoPaths,
  reporter: Reporter,
  job: (edits: StagedTreeEdits) => Promise<T>,
): Promise<T> {
  if (shared) return job(await shared.edits());
  const { withStagedTree } = await import('./session.js');
  return withStagedTree(paths, reporter, job);
}
