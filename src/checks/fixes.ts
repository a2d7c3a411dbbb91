import type { StagedTreeEdits } from '../isolate/index.js';

/*
 * Staging what a fixer rewrote in the isolated tree (lint-staged's prettier --write, fmt fix),
 * without ever overwriting an unstaged change: every fix is journaled first (isolate/edits.ts); a
 * file with no hidden version gets the fix staged (the working tree already shows it); a file the
 * user deleted stays deleted; a file with unstaged edits gets the fix on its hidden version too, by
 * `rewriteHidden` (rustfmt on the user's version) or else a clean three-way merge, and is blocked
 * when neither applies. Nothing is staged until the caller knows the whole run passed (`commit`).
 */

export interface FixOutcome {
  /** Rewritten files whose fix `commit` stages. */
  staged: string[];
  /** Rewritten files with unstaged edits the fix could not be applied to: stage them first. */
  blocked: string[];
  /** Stages the fixes and gives the hidden versions theirs; call only once the whole run passed. */
  commit(): Promise<void>;
}

/**
 * Decides the journaled fixes of `fixed` (all-or-nothing: when any file is blocked, every fix is
 * put back, compare-and-swap, and nothing will be staged). `rewriteHidden` returns the user's
 * version with the fix applied, or null when it cannot.
 */
export async function applyFixes(
  edits: StagedTreeEdits,
  fixed: string[],
  rewriteHidden?: (path: string, userVersion: Buffer) => Promise<Buffer | null>,
): Promise<FixOutcome> {
  const hiddenUpdates = new Map<string, Buffer>();
  const blocked: string[] = [];
  for (const path of fixed) {
    const kind = edits.hidden(path);
    if (kind === null || kind === 'deleted') continue;
    const user = kind === 'modified' ? await edits.hiddenVersion(path) : null;
    if (user === null) {
      blocked.push(path);
      continue;
    }
    let updated = rewriteHidden ? await rewriteHidden(path, user).catch(() => null) : null;
    if (updated === null) {
      const base = await edits.stagedVersion(path);
      const fix = edits.fixOf(path);
      updated = base && fix ? await edits.merge(user, base, fix) : null;
    }
    if (updated === null) blocked.push(path);
    else hiddenUpdates.set(path, updated);
  }
  if (blocked.length) {
    await edits.putBack(fixed, 'changed while a fixer ran (a save of yours?)');
    return { staged: [], blocked, commit: async () => {} };
  }
  return {
    staged: fixed,
    blocked: [],
    commit: async () => {
      await edits.stageFixes(hiddenUpdates);
    },
  };
}

/** One line for a blocked fix: which file to stage first. */
export function blockedFix(blocked: string[], what: string): string {
  const list = blocked.join(' ');
  return `${what} would change ${blocked.length === 1 ? 'a file' : 'files'} with unstaged edits it cannot merge into: stage ${blocked.length === 1 ? 'it' : 'them'} first (git add ${list}) or stash the edits, then commit again`;
}
