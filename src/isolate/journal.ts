import { open, readFile, rename, rm } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { fsyncPath } from './fsops.js';

/*
 * The journal of one isolation, in <gitDir>/loom-guard/backup/:
 *
 *   RECOVER.txt    written first: what this folder is and how to get every file back by hand
 *   journal.json   written (atomically, fsynced) BEFORE each change to the tree, listing what is
 *                  about to move; an entry whose files/<n> exists was moved, else it never left
 *   files/<n>      the user's own file, folder or symlink, moved here whole (a rename)
 *   applied.json   what the isolation wrote into the tree (index versions), so a later run can tell
 *                  "still ours" (removed) from "edited since" (kept, and the old version set aside)
 *
 * Every path in it is relative to the working tree: a repository moved after a kill is recovered
 * where it is now, and nothing outside it is ever written.
 */

export interface Moved {
  /** Repo-relative path of what was moved aside. */
  path: string;
  /** Its name under files/. */
  backup: string;
  /** Why: an unstaged version of a tracked file, something standing where a tracked path goes, or untracked. */
  why: 'unstaged' | 'in-the-way' | 'untracked';
}

export interface Written {
  /** Repo-relative path git checkout-index writes (the index version). */
  path: string;
  mode: string;
  blob: string;
}

/**
 * A fixer's rewrite of one tracked file (fmt fix, a lint-staged fixer), recorded before it lands in
 * the tree (fmt fix) or as soon as the fixer has exited (a lint-staged task writes in place), so a
 * restore after a kill at any point tells the fixer's bytes from the user's.
 */
export interface Fix {
  path: string;
  /** Fingerprint of the fixer's bytes in the tree. */
  after: string;
  /** Name under files/ of what stood there before (the index version), put back when the fix is not kept; null when the path is one the isolation wrote (the restore removes it). */
  before: string | null;
  /** The fix as the blob `git add` would make of it, and its mode: what is staged when the run passes. */
  blob: string;
  mode: string;
  /** Staged: the fixer's bytes then stay in the tree (a path the isolation wrote still gets the user's version back). */
  staged: boolean;
  /**
   * Name under files/ of the user's hidden version with the fix applied (a partly staged file),
   * journaled before the fix is staged and moved over the hidden version once it is: a restore
   * after a kill in between finishes that move when the fix reached the index, else drops it.
   */
  hidden?: string;
}

/**
 * A path handed to a fixer that writes in place (lint-staged's tasks), journaled before the fixer
 * starts: while it runs, bytes at the path that differ from `before` are the fixer's (a save of
 * the user's in that window looks the same), so a restore after a kill keeps them as a named
 * recovered file and puts back what stood there.
 */
export interface Running {
  path: string;
  /** Fingerprint of what stood at the path when the fixer started (what the hook wrote, or the user's file showing the index). */
  before: string;
  /** The index entry the tree showed there: what is written back when the path was not one the isolation wrote. */
  blob: string;
  mode: string;
}

export interface Journal {
  version: 2;
  pid: number;
  startedAt: string;
  moved: Moved[];
  written: Written[];
  /** Folders that did not exist and were created to hold written paths (removed afterwards if empty). */
  createdDirs: string[];
  /** Fixers' rewrites (absent in journals of earlier versions). */
  fixes?: Fix[];
  /** Paths a fixer is running on, until its rewrites are journaled as fixes (absent when none). */
  running?: Running[];
}

export interface Applied {
  /** path -> fingerprint of what the isolation wrote there. */
  written: Record<string, string>;
}

export const JOURNAL = 'journal.json';
export const APPLIED = 'applied.json';
export const RECOVER = 'RECOVER.txt';

export function backupDir(gitDir: string): string {
  return join(gitDir, 'loom-guard', 'backup');
}

/**
 * Writes a file atomically and durably: temp file (with `mode` when given), fsync, rename, fsync of
 * the folder. A reader sees the old content or the new, never a torn file.
 */
export async function writeDurable(path: string, content: string | Uint8Array, mode?: number): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(content);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, path);
  await fsyncPath(join(path, '..'));
}

/** A path from a journal is used only when it stays inside the working tree. */
export function safeRelative(path: unknown): path is string {
  if (typeof path !== 'string' || !path || isAbsolute(path) || path.includes('\0')) return false;
  const n = normalize(path);
  return n === path.replace(/\/+$/, '') && n !== '..' && !n.startsWith(`..${sep}`) && !n.split(sep).includes('..');
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null; // torn: killed mid-write (the rename makes that unlikely, but never trust it)
  }
}

export type JournalRead = { kind: 'none' } | { kind: 'ok'; journal: Journal } | { kind: 'bad'; reason: string };

export async function readJournal(dir: string): Promise<JournalRead> {
  const value = (await readJson(join(dir, JOURNAL))) as Journal | null;
  if (value === null) return { kind: 'none' };
  if (value.version !== 2 || !Array.isArray(value.moved) || !Array.isArray(value.written) || !Array.isArray(value.createdDirs)) {
    return { kind: 'bad', reason: 'it is not a journal this version of loom-guard wrote' };
  }
  const paths = [...value.moved.map((m) => m.path), ...value.written.map((w) => w.path), ...value.createdDirs];
  const outside = paths.find((p) => !safeRelative(p));
  if (outside !== undefined) return { kind: 'bad', reason: `it names ${JSON.stringify(outside)}, a path outside the working tree` };
  if (value.moved.some((m) => !/^\d+$/.test(m.backup))) return { kind: 'bad', reason: 'a backup name is not a number' };
  if (value.fixes !== undefined) {
    if (!Array.isArray(value.fixes) || value.fixes.some((f) => !safeRelative(f.path) || (f.before !== null && !/^\d+$/.test(f.before)) || (f.hidden !== undefined && !/^\d+$/.test(f.hidden)))) {
      return { kind: 'bad', reason: 'its list of fixes names a path outside the working tree' };
    }
  }
  if (value.running !== undefined) {
    if (!Array.isArray(value.running) || value.running.some((r) => !safeRelative(r.path) || typeof r.before !== 'string' || !/^[0-9a-f]+$/.test(String(r.blob)))) {
      return { kind: 'bad', reason: 'its list of paths handed to a fixer names a path outside the working tree' };
    }
  }
  return { kind: 'ok', journal: value };
}

export async function readApplied(dir: string): Promise<Applied | null> {
  const value = (await readJson(join(dir, APPLIED))) as Applied | null;
  return value && typeof value.written === 'object' ? value : null;
}

export function recoverText(dir: string, journal: Journal | null): string {
  const lines = [
    'loom-guard hid these files while it checked exactly the staged content of your repository.',
    'The next `git commit` or `loom-guard check --staged` in this repository puts them back by itself.',
    'To do it by hand instead, from the top of the working tree, for each line below:',
    '  mv <backup file> <path>      (first delete what stands at <path>, if it is the index version)',
    `Backup files are in ${join(dir, 'files')}.`,
    '',
  ];
  for (const m of journal?.moved ?? []) lines.push(`files/${m.backup} -> ${m.path}    (${m.why})`);
  return `${lines.join('\n')}\n`;
}
