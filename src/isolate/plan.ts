import { git, gitText } from '../git.js';
import { GuardError } from '../errors.js';

/** What must be hidden so the working tree shows exactly the index. */
export interface HidePlan {
  /** Tracked files whose working-tree content or type differs from the index. */
  modified: Array<{ path: string; blob: string }>;
  /** Tracked files missing from the working tree. */
  deleted: Array<{ path: string; blob: string }>;
  /** Files git does not track and does not ignore (and intent-to-add entries). */
  untracked: string[];
}

const GITLINK = '160000';

/**
 * Parses `git diff --raw -z --no-abbrev` (index against working tree): `:srcmode dstmode srcsha
 * dstsha status\0path\0`. The src side is the index.
 */
export function parseRawDiff(output: string): Array<{ srcMode: string; srcSha: string; status: string; path: string }> {
  const parts = output.split('\0');
  const out: Array<{ srcMode: string; srcSha: string; status: string; path: string }> = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const header = parts[i];
    const path = parts[i + 1];
    if (!header || path === undefined) continue;
    const [srcMode, , srcSha, , status] = header.slice(1).split(' ');
    if (!srcMode || !srcSha || !status) continue;
    out.push({ srcMode, srcSha, status: status[0] ?? '', path });
  }
  return out;
}

export async function planHide(root: string): Promise<HidePlan> {
  const [diff, others] = await Promise.all([
    gitText(root, ['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--ignore-submodules=all', '--no-ext-diff']),
    git(root, ['ls-files', '-z', '--others', '--exclude-standard']),
  ]);
  if (others.exitCode !== 0) throw new GuardError(`git ls-files failed: ${others.stderr.toString('utf8').trim()}`);
  const plan: HidePlan = { modified: [], deleted: [], untracked: [] };
  for (const entry of parseRawDiff(diff)) {
    if (entry.srcMode === GITLINK) continue; // a submodule's checkout is its own business
    switch (entry.status) {
      case 'U':
        throw new GuardError(`${entry.path} is unmerged: resolve the conflict and git add it, then commit`);
      case 'D':
        plan.deleted.push({ path: entry.path, blob: entry.srcSha });
        break;
      case 'A':
        // intent-to-add (git add -N): not part of the commit, so hidden like an untracked file
        plan.untracked.push(entry.path);
        break;
      default:
        plan.modified.push({ path: entry.path, blob: entry.srcSha });
    }
  }
  for (const path of others.stdout.toString('utf8').split('\0')) {
    // A nested repository shows as "dir/": cargo never reads it through the workspace, and moving
    // a whole foreign repository around is a risk out of proportion, so it stays where it is.
    if (path && !path.endsWith('/')) plan.untracked.push(path);
  }
  return plan;
}

export function planSize(plan: HidePlan): number {
  return plan.modified.length + plan.deleted.length + plan.untracked.length;
}
