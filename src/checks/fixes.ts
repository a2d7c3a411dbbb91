import { git } from '../git.js';
import type { StagedTreeEdits } from '../isolate/index.js';

/*
 * Staging what a fixer rewrote in the isolated tree (lint-staged's prettier --write, fmt fix),
 * without ever overwriting an unstaged change: a file with no hidden version is staged as it now
 * is (the working tree already shows the fix); a file the user deleted stays deleted; a file with
 * unstaged edits gets the fix on its hidden version too, by `rewriteHidden` (rustfmt on the user's
 * version) or else a clean three-way merge, and is blocked when neither applies.
 */

export interface FixOutcome {
  /** Rewritten files whose fix is staged. */
  staged: string[];
  /** Rewritten files with unstaged edits the fix could not be applied to: stage them first. */
  blocked: string[];
}

/**
 * Applies the job's rewrites of `rewritten` (all-or-nothing: when any file is blocked, every
 * rewrite is dropped and nothing is staged). `rewriteHidden` returns the user's version with the
 * fix applied, or null when it cannot.
 */
export async function applyFixes(
  edits: StagedTreeEdits,
  root: string,
  rewritten: string[],
  rewriteHidden?: (path: string, userVersion: Buffer) => Promise<Buffer | null>,
): Promise<FixOutcome> {
  const hiddenUpdates = new Map<string, Buffer>();
  const blocked: string[] = [];
  for (const path of rewritten) {
    const kind = edits.hidden(path);
    if (kind === null || kind === 'deleted') continue;
    const user = kind === 'modified' ? await edits.hiddenVersion(path) : null;
    if (user === null) {
      blocked.push(path);
      continue;
    }
    let updated = rewriteHidden ? await rewriteHidden(path, user).catch(() => null) : null;
    if (updated === null) {
      const [base, fixed] = await Promise.all([indexBlob(root, path), edits.readTree(path)]);
      updated = base && fixed ? await edits.merge(user, base, fixed) : null;
    }
    if (updated === null) blocked.push(path);
    else hiddenUpdates.set(path, updated);
  }
  if (blocked.length) {
    await edits.revert(rewritten);
    return { staged: [], blocked };
  }
  await edits.stage(rewritten);
  for (const [path, content] of hiddenUpdates) await edits.replaceHidden(path, content);
  return { staged: rewritten, blocked: [] };
}

async function indexBlob(root: string, path: string): Promise<Buffer | null> {
  const result = await git(root, ['cat-file', 'blob', `:${path}`]);
  return result.exitCode === 0 ? result.stdout : null;
}

/** One line for a blocked fix: which file to stage first. */
export function blockedFix(blocked: string[], what: string): string {
  const list = blocked.join(' ');
  return `${what} would change ${blocked.length === 1 ? 'a file' : 'files'} with unstaged edits it cannot merge into: stage ${blocked.length === 1 ? 'it' : 'them'} first (git add ${list}) or stash the edits, then commit again`;
}
