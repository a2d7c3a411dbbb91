import { createHash } from 'node:crypto';
import {
  copyFile,
  link,
  lstat,
  lutimes,
  mkdir,
  readFile,
  readlink,
  rename,
  rm,
  rmdir,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fsyncPath } from './fsops.js';

/*
 * The on-disk backup of everything the isolation hides, so that nothing is lost even when the
 * process is killed with SIGKILL. Layout under <gitDir>/loom-guard/backup/:
 *
 *   files/<n>      the user's version of entry n (a hard link when possible, else a copy)
 *   manifest.json  written (atomically, fsynced) after every file above is durable and BEFORE
 *                  the working tree is touched: no manifest means the tree was never touched
 *   applied.json   written after the tree holds the index versions: what we put there, so a later
 *                  run can tell "still ours" (safe to restore) from "edited since" (set aside)
 */

export type EntryKind = 'modified' | 'deleted' | 'untracked';

export interface BackupEntry {
  /** Repo-relative POSIX path. */
  path: string;
  /**
   * modified: tracked, differs from the index (replaced by the index version while checks run);
   * deleted: tracked, missing from the tree (the index version is put there while checks run);
   * untracked: not in the index and not ignored (removed while checks run).
   */
  kind: EntryKind;
  /** Name under files/ of the user's version (null for `deleted`: there is nothing to keep). */
  backup: string | null;
  /** The index blob put in the tree (modified, deleted). */
  blob: string | null;
  /** Directories that did not exist before and were created to hold a `deleted` entry. */
  createdDirs?: string[];
}

export interface Manifest {
  version: 1;
  pid: number;
  startedAt: string;
  root: string;
  entries: BackupEntry[];
}

export interface Applied {
  /** path -> content hash of what the isolation put in the tree. */
  hashes: Record<string, string>;
}

export function guardDir(gitDir: string): string {
  return join(gitDir, 'loom-guard');
}

// The legacy format shares the journal's durable write.
export { writeDurable } from './journal.js';

export function backupDir(gitDir: string): string {
  return join(guardDir(gitDir), 'backup');
}

export const MANIFEST = 'manifest.json';
export const APPLIED = 'applied.json';

/**
 * Keeps the user's version of `from` at `to` without touching `from`: a hard link (instant, same
 * bytes, mode and mtime) where the file system allows it, else a copy. Either way it is fsynced.
 */
export async function preserve(from: string, to: string): Promise<void> {
  const stat = await lstat(from);
  if (stat.isSymbolicLink()) {
    await symlink(await readlink(from), to);
  } else {
    try {
      await link(from, to);
    } catch {
      await copyFile(from, to);
    }
    await fsyncPath(to);
  }
}

/** Puts a preserved file back at `to` (rename, else copy), then makes its mtime "now". */
export async function putBack(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch {
    const stat = await lstat(from);
    await rm(to, { force: true });
    if (stat.isSymbolicLink()) await symlink(await readlink(from), to);
    else await copyFile(from, to);
  }
  // cargo decides freshness by mtime: the restored file must look newer than what the hook built.
  const now = new Date();
  await lutimes(to, now, now);
}

/** sha256 of a path's content (a symlink's target), or null when nothing is there. */
export async function hashPath(path: string): Promise<string | null> {
  const stat = await lstat(path).catch(() => null);
  if (!stat) return null;
  if (stat.isSymbolicLink()) return `link:${await readlink(path)}`;
  if (stat.isDirectory()) return 'dir';
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/** Removes empty directories from `dir` up to (not including) `root`. */
export async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  let current = dir;
  while (current.length > root.length && current.startsWith(root)) {
    try {
      await rmdir(current);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

/** A JSON file written by an earlier run, or null when it is missing or torn (killed mid-write). */
async function readJson<T>(path: string): Promise<T | null> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

export const readManifest = (dir: string) => readJson<Manifest>(join(dir, MANIFEST));
export const readApplied = (dir: string) => readJson<Applied>(join(dir, APPLIED));

/** Shell-quotes a path for a command we print (never run). */
export function quote(path: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

export interface Unsafe {
  entry: BackupEntry;
  /** One line: what happened and the exact command that recovers it. */
  advice: string;
}

export interface RestoreOutcome {
  restored: number;
  unsafe: Unsafe[];
  /** Where the backup was moved when something could not be put back safely. */
  setAside: string | null;
}

/**
 * Puts the user's working tree back from a backup. `indexHashes` says what the isolation put in
 * the tree (applied.json); where it is unknown (killed half-way), the index blob's bytes stand in.
 * An entry is restored only when the tree still holds what the isolation left there (or nothing,
 * or already the user's version): anything else was edited since, so the backup is moved aside,
 * never overwriting either version, and the advice says how to take the old one back.
 */
export async function restoreFromBackup(
  root: string,
  gitDir: string,
  manifest: Manifest,
  applied: Applied | null,
  blobHash: (blob: string) => Promise<string | null>,
): Promise<RestoreOutcome> {
  const dir = backupDir(gitDir);
  const unsafe: Unsafe[] = [];
  let restored = 0;
  // Tracked entries first (in reverse), so a recreated file is gone before an untracked file or
  // folder of the same name comes back.
  const ordered = [
    ...manifest.entries.filter((e) => e.kind !== 'untracked').reverse(),
    ...manifest.entries.filter((e) => e.kind === 'untracked'),
  ];
  for (const entry of ordered) {
    const target = join(root, entry.path);
    const now = await hashPath(target);
    const saved = entry.backup ? join(dir, 'files', entry.backup) : null;
    const savedHash = saved ? await hashPath(saved) : null;
    const ours = applied?.hashes[entry.path] ?? (entry.blob ? await blobHash(entry.blob) : null);
    if (entry.kind === 'deleted') {
      if (now === null) {
        restored++;
      } else if (now === ours) {
        await rm(target, { force: true });
        for (const created of [...(entry.createdDirs ?? [])].reverse()) await rmdir(join(root, created)).catch(() => {});
        restored++;
      } else {
        unsafe.push({
          entry,
          advice: `${entry.path}: was deleted in your working tree; it now holds edits made while loom-guard ran, kept as they are (delete it again if you meant to: rm ${quote(entry.path)})`,
        });
      }
      continue;
    }
    if (!saved || savedHash === null) {
      // The backup file is gone: nothing we can put back; the tree keeps whatever it has.
      if (now !== null) continue;
      unsafe.push({ entry, advice: `${entry.path}: its backup is missing; git may still have it: git checkout -- ${quote(entry.path)}` });
      continue;
    }
    if (now === savedHash) {
      restored++; // never replaced, or already back
      continue;
    }
    const safe = now === null || (entry.kind === 'modified' && now === ours);
    if (safe) {
      await putBack(saved, target);
      restored++;
    } else {
      unsafe.push({
        entry,
        advice: `${entry.path}: changed while loom-guard had it hidden; your earlier version is kept. To take it back: cp ${quote('<backup>/files/' + entry.backup)} ${quote(entry.path)}`,
      });
    }
  }
  let setAside: string | null = null;
  if (unsafe.length) {
    setAside = join(guardDir(gitDir), `recovered-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await rename(dir, setAside);
    for (const u of unsafe) u.advice = u.advice.replace('<backup>', setAside);
    await writeFile(join(setAside, 'RECOVER.txt'), `${unsafe.map((u) => u.advice).join('\n')}\n`);
  } else {
    // The manifest goes last: until it is gone, a later run can still finish this restore.
    await rm(join(dir, 'files'), { recursive: true, force: true });
    await rm(join(dir, APPLIED), { force: true });
    await rm(join(dir, MANIFEST), { force: true });
    await rm(dir, { recursive: true, force: true });
  }
  return { restored, unsafe, setAside };
}

/** True while the process that wrote a manifest is still alive (another run is in progress). */
export function ownerAlive(manifest: Manifest): boolean {
  if (manifest.pid === process.pid) return false;
  try {
    process.kill(manifest.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
