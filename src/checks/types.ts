import type { CheckId } from '../checkIds.js';
import type { Config } from '../config.js';
import type { BlobReader, Change, RepoPaths, Source } from '../git.js';
import type { SharedStagedTree } from '../isolate/shared.js';
import type { CheckResult, Reporter } from '../report.js';

/** Everything a check needs to judge one change: what it reads, never how it got there. */
export interface CheckContext {
  paths: RepoPaths;
  config: Config;
  reader: BlobReader;
  /** The state being judged: the index for pre-commit, a commit for pre-push. */
  target: Source;
  /** The state it is compared against (HEAD, the first parent), or null for an initial commit. */
  base: Source | null;
  /** What changed from base to target. */
  changes: Change[];
  /**
   * Judge the target's whole state (`check --all`): every rule over every file, not only what
   * the change touched; `base` and `changes` then only give context (edits to protected migrations).
   */
  whole?: boolean;
  reporter: Reporter;
  /**
   * The run's one working tree showing exactly the index (pre-commit, `check --staged`), opened by
   * the first check that asks for it and shared by the later ones; absent elsewhere.
   */
  stagedTree?: SharedStagedTree;
}

/**
 * A group of checks that run together (fmt, clippy and build share one hidden-worktree session).
 * `ids` are the ones not skipped; the group returns one result per id.
 */
export type CheckGroupRun = (ctx: CheckContext, ids: CheckId[]) => Promise<CheckResult[]>;

export interface CheckGroup {
  ids: readonly CheckId[];
  load: () => Promise<CheckGroupRun>;
  /** The group may open the run's staged tree (ctx.stagedTree): it stays open until the last such group has run. */
  usesStagedTree?: boolean;
}
