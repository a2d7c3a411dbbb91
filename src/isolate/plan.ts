import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { GuardError } from '../errors.js';
import { git, gitText } from '../git.js';
import type { Moved, Written } from './journal.js';

/*
 * What the working tree must lose and gain to show exactly the index. Two steps, because what is
 * untracked depends on the ignore rules, and those must be the STAGED ones: the tracked part
 * (including every .gitignore) is put to its index version first, and only then are untracked
 * files listed.
 */

export type MoveIntent = Omit<Moved, 'backup'>;

export interface TrackedPlan {
  /** User versions and whatever stands in the way, moved aside before the index versions are written. */
  moves: MoveIntent[];
  /** Index versions git checkout-index writes. */
  written: Written[];
  /** Folders to create for written paths (they did not exist), parents first. */
  createdDirs: string[];
}

const GITLINK = '160000';

export interface RawDiffEntry {
  srcMode: string;
  dstMode: string;
  srcSha: string;
  status: string;
  path: string;
}

/**
 * Parses `git diff --raw -z --no-abbrev` (index against working tree): `:srcmode dstmode srcsha
 * dstsha status\0path\0`. The src side is the index.
 */
export function parseRawDiff(output: string): RawDiffEntry[] {
  const parts = output.split('\0');
  const out: RawDiffEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const header = parts[i];
    const path = parts[i + 1];
    if (!header || path === undefined) continue;
    const [srcMode, dstMode, srcSha, , status] = header.slice(1).split(' ');
    if (!srcMode || !dstMode || !srcSha || !status) continue;
    out.push({ srcMode, dstMode, srcSha, status: status[0] ?? '', path });
  }
  return out;
}

type Kind = 'missing' | 'dir' | 'other';
export type Probe = (path: string) => Promise<Kind>;

export function fsProbe(root: string): Probe {
  return async (path) => {
    const stat = await lstat(join(root, path)).catch(() => null);
    if (!stat) return 'missing';
    return stat.isDirectory() ? 'dir' : 'other';
  };
}

/**
 * From the tracked paths whose working-tree version differs (or is missing), the moves and writes
 * that put the index version there without destroying anything: whatever stands at the path (a
 * file, a symlink, a folder full of ignored files or a nested repository) and any file standing
 * where one of its folders must be is moved aside whole, never deleted.
 */
export async function planTrackedFrom(
  diff: RawDiffEntry[],
  sparse: Array<{ path: string; mode: string; blob: string }>,
  probe: Probe,
): Promise<{ plan: TrackedPlan; intentToAdd: string[] }> {
  const plan: TrackedPlan = { moves: [], written: [], createdDirs: [] };
  const intentToAdd: string[] = [];
  const moving = new Set<string>();
  const creating = new Set<string>();
  const targets: Array<{ path: string; mode: string; blob: string; why: Moved['why'] }> = [];
  for (const entry of diff) {
    if (entry.srcMode === GITLINK || entry.dstMode === GITLINK) continue; // a submodule's checkout is its own business
    if (entry.status === 'U') {
      throw new GuardError(`${entry.path} is unmerged: resolve the conflict and git add it, then commit`);
    }
    if (entry.status === 'A' || entry.srcMode === '000000') {
      intentToAdd.push(entry.path); // git add -N: not part of the commit, hidden like an untracked file
      continue;
    }
    targets.push({ path: entry.path, mode: entry.srcMode, blob: entry.srcSha, why: entry.status === 'D' ? 'in-the-way' : 'unstaged' });
  }
  for (const s of sparse) targets.push({ ...s, why: 'in-the-way' });

  for (const target of targets) {
    const parts = target.path.split('/');
    let blocked = false;
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (blocked || creating.has(dir)) {
        blocked = true;
        if (!creating.has(dir)) {
          creating.add(dir);
          plan.createdDirs.push(dir);
        }
        continue;
      }
      if (moving.has(dir)) {
        blocked = true;
        continue;
      }
      const kind = await probe(dir);
      if (kind === 'dir') continue;
      blocked = true;
      if (kind === 'other') {
        moving.add(dir);
        plan.moves.push({ path: dir, why: 'in-the-way' });
      }
      creating.add(dir);
      plan.createdDirs.push(dir);
    }
    if (!blocked && !moving.has(target.path) && (await probe(target.path)) !== 'missing') {
      moving.add(target.path);
      plan.moves.push({ path: target.path, why: target.why });
    }
    plan.written.push({ path: target.path, mode: target.mode, blob: target.blob });
  }
  return { plan, intentToAdd };
}

export async function planTracked(root: string): Promise<{ plan: TrackedPlan; intentToAdd: string[] }> {
  const [diff, sparseOn] = await Promise.all([
    gitText(root, ['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--ignore-submodules=all', '--no-ext-diff']),
    git(root, ['config', '--bool', 'core.sparseCheckout']),
  ]);
  if (sparseOn.stdout.toString('utf8').trim() === 'true') {
    // Writing the files sparse checkout leaves out would make git drop their skip-worktree bits
    // (any git command that sees them present does): the user's sparse setup would be changed.
    const probe = fsProbe(root);
    for (const line of (await gitText(root, ['ls-files', '-t', '-z'])).split('\0')) {
      if (!line.startsWith('S ')) continue;
      const path = line.slice(2);
      if ((await probe(path)) === 'missing') {
        throw new GuardError(
          `sparse checkout leaves ${path} (and maybe more) out of the working tree, so the staged workspace cannot be built in place; nothing was changed: commit from a full checkout (git sparse-checkout disable), or skip the cargo checks once: LOOM_GUARD_SKIP=fmt,clippy,build git commit ...`,
        );
      }
    }
  }
  return planTrackedFrom(await withoutMissingIntentToAdd(root, parseRawDiff(diff)), [], fsProbe(root));
}

const EMPTY_BLOB = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

/**
 * A `git add -N` entry whose file is gone shows as a deletion of the empty blob, like a tracked
 * empty file would: it is not part of the commit, so it must not be written for the checks.
 * Told apart by being neither in HEAD nor staged (only asked when such an entry exists).
 */
async function withoutMissingIntentToAdd(root: string, diff: RawDiffEntry[]): Promise<RawDiffEntry[]> {
  const candidates = diff.filter((e) => e.status === 'D' && e.srcSha === EMPTY_BLOB).map((e) => e.path);
  if (!candidates.length) return diff;
  const [staged, head] = await Promise.all([
    git(root, ['diff', '--cached', '--name-only', '-z', '--no-renames']),
    git(root, ['ls-tree', '-r', '-z', '--name-only', '--full-tree', 'HEAD', '--', ...candidates.map((p) => `:(literal)${p}`)]),
  ]);
  const real = new Set([...staged.stdout.toString('utf8').split('\0'), ...(head.exitCode === 0 ? head.stdout.toString('utf8').split('\0') : [])]);
  return diff.filter((e) => !(e.status === 'D' && e.srcSha === EMPTY_BLOB && !real.has(e.path)));
}

/**
 * Untracked, non-ignored files under the ignore rules now in the tree. A folder holding nothing
 * tracked is one entry (moved by one rename, whatever it holds); a nested repository stays.
 */
export async function listUntracked(root: string): Promise<string[]> {
  const out = await git(root, ['ls-files', '-z', '--others', '--exclude-standard', '--directory', '--no-empty-directory']);
  if (out.exitCode !== 0) throw new GuardError(`git ls-files failed: ${out.stderr.toString('utf8').trim()}`);
  const paths: string[] = [];
  for (const entry of out.stdout.toString('utf8').split('\0')) {
    if (!entry) continue;
    if (entry.endsWith('/')) {
      const dir = entry.slice(0, -1);
      // cargo never reads a foreign repository through the workspace; it stays where it is.
      if (await lstat(join(root, dir, '.git')).then(() => true, () => false)) continue;
      paths.push(dir);
    } else {
      paths.push(entry);
    }
  }
  return paths;
}

/** Untracked .gitignore files change what counts as untracked: they are hidden before the rest is listed. */
export function untrackedIgnoreFiles(paths: string[]): string[] {
  return paths.filter((p) => basename(p) === '.gitignore');
}
