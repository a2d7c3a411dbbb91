import { lstat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { git } from '../git.js';

/*
 * A fresh private checkout's files are all newer than every artifact in the user's target folder,
 * so cargo would rebuild every workspace member there even with their units seeded. A file whose
 * content is provably the same in the user's working tree takes that file's modification time
 * instead: cargo then judges the seeded unit by exactly the rule it applies in the user's own tree
 * (no file it read is newer than the unit), and rebuilds whatever the push changed. "Provably the
 * same": the pushed tree's blob equals the user's index entry, and git does not list the file as
 * modified against that entry (a file git cannot vouch for by stat keeps its new time: rebuilt).
 */

/** `<mode> <type> <sha>\t<path>` records of `git ls-tree -r -z` or `<mode> <sha> <stage>\t<path>` of `ls-files -s -z`: path → blob. */
export function blobsOf(output: string, shaField: number): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const record of output.split('\0')) {
    const tab = record.indexOf('\t');
    if (tab < 0) continue;
    const fields = record.slice(0, tab).split(' ');
    // Regular files only (100644, 100755): a symlink's time is its own, a gitlink has none.
    if (!fields[0]?.startsWith('100')) continue;
    blobs.set(record.slice(tab + 1), fields[shaField] as string);
  }
  return blobs;
}

/** The paths whose pushed content is the user's working-tree content, as far as git proves it. */
export function sameContent(treeBlobs: Map<string, string>, indexBlobs: Map<string, string>, modified: ReadonlySet<string>): string[] {
  const same: string[] = [];
  for (const [path, blob] of treeBlobs) if (indexBlobs.get(path) === blob && !modified.has(path)) same.push(path);
  return same;
}

/**
 * Gives each file of the private checkout `tree` (a checkout of `treeSha`) that equals the user's
 * the user's modification time. Returns how many files were aligned.
 */
export async function alignMtimes(root: string, tree: string, treeSha: string): Promise<number> {
  // GIT_OPTIONAL_LOCKS=0: reading the user's index must not rewrite it.
  const env = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };
  const [inTree, inIndex, dirty] = await Promise.all([
    git(root, ['ls-tree', '-r', '-z', '--full-tree', treeSha], undefined, env),
    git(root, ['ls-files', '-s', '-z'], undefined, env),
    git(root, ['diff-files', '--name-only', '-z'], undefined, env),
  ]);
  if (inTree.exitCode !== 0 || inIndex.exitCode !== 0 || dirty.exitCode !== 0) return 0;
  const modified = new Set(dirty.stdout.toString('utf8').split('\0').filter(Boolean));
  const paths = sameContent(blobsOf(inTree.stdout.toString('utf8'), 2), blobsOf(inIndex.stdout.toString('utf8'), 1), modified);
  let aligned = 0;
  for (const path of paths) {
    const mine = await lstat(join(root, path), { bigint: true }).catch(() => null);
    if (!mine?.isFile()) continue;
    // Seconds as a double keep ~0.2 µs here: far finer than any gap between a source and its unit.
    const seconds = (ns: bigint) => Number(ns / 1000n) / 1e6;
    const done = await utimes(join(tree, path), seconds(mine.atimeNs), seconds(mine.mtimeNs)).then(
      () => true,
      () => false,
    );
    if (done) aligned += 1;
  }
  return aligned;
}
