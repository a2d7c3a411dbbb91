import { posix } from 'node:path';
import { gitText, listFiles, type BlobReader, type Source } from '../git.js';
import type { SqlFile } from './types.js';

/*
 * The thin layer between the pure rules and git: which files a state holds, which folders are
 * migrations folders, and their contents, always through the BlobReader for index and commits.
 */

/** Every file path in a state. The worktree state includes untracked, not-ignored files. */
export async function listSource(root: string, source: Source): Promise<string[]> {
  // A conflicted index lists a path once per stage: each path counts once here.
  if (source.kind === 'index') return [...new Set(await listFiles(root, null))];
  if (source.kind === 'commit') return listFiles(root, source.rev);
  const out = await gitText(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(out.split('\0').filter(Boolean))];
}

export type FolderMatcher = (dir: string) => boolean;

/** A test for "this directory is a migrations folder" from the config globs. */
export async function folderMatcher(globs: string[]): Promise<FolderMatcher> {
  const clean = globs.map((g) => g.replace(/\/+$/, '')).filter(Boolean);
  if (!clean.length) return () => false;
  // picomatch is loaded only when a migrations check runs.
  const { default: picomatch } = await import('picomatch');
  const match = picomatch(clean, { dot: true });
  return (dir) => dir !== '.' && match(dir);
}

export const dirOf = (path: string) => posix.dirname(path);

/** The migrations folders that hold at least one of `paths`, sorted. */
export function foldersIn(paths: Iterable<string>, isFolder: FolderMatcher): string[] {
  const found = new Set<string>();
  for (const path of paths) {
    const dir = dirOf(path);
    if (isFolder(dir)) found.add(dir);
  }
  return [...found].sort();
}

/** Contents of `paths` in `source`; files that do not exist there (or are not blobs) are left out. */
export async function readFiles(reader: BlobReader, source: Source, paths: string[]): Promise<SqlFile[]> {
  const contents = await Promise.all(paths.map((p) => reader.readText(source, p)));
  const out: SqlFile[] = [];
  paths.forEach((path, i) => {
    const content = contents[i];
    if (content !== null && content !== undefined) out.push({ path, content });
  });
  return out;
}
