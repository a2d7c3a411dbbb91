import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { GuardError } from '../errors.js';
import type { RepoPaths } from '../git.js';

/*
 * One lock per working tree for every run that changes it (pre-commit, check --staged, recovery,
 * pre-push in place). The lock is a file created atomically (written beside, then hard-linked into
 * place: it either exists whole or not at all) that names its holder by pid, the pid's start time,
 * the boot id and the host. A pid alone cannot tell a live holder from a dead one: pids are reused,
 * and a reboot restarts them.
 *
 * Lives in <gitDir>/loom-guard/lock: per worktree, because a linked worktree has its own files.
 */

export interface LockHolder {
  pid: number;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or null off Linux. */
  startTime: string | null;
  bootId: string | null;
  host: string;
  purpose: string;
  since: string;
}

export interface LockReporter {
  note(message: string): void;
}

export interface AcquireOptions {
  /** What the run is, for the line another run prints while it waits: `pre-commit`, `pre-push`. */
  purpose: string;
  reporter?: LockReporter;
  /** How long to wait for a live holder before refusing (exit 2). Default 60 s or LOOM_GUARD_LOCK_WAIT_MS. */
  waitMs?: number;
}

export interface RepoLock extends AsyncDisposable {
  readonly path: string;
  release(): Promise<void>;
}

export function lockPath(gitDir: string): string {
  return join(gitDir, 'loom-guard', 'lock');
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function processStartTime(pid: number): string | null {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

let bootIdCache: string | null | undefined;
export function bootId(): string | null {
  bootIdCache ??= readProc('/proc/sys/kernel/random/boot_id')?.trim() || null;
  return bootIdCache;
}

export function currentHolder(purpose: string): LockHolder {
  return { pid: process.pid, startTime: processStartTime(process.pid), bootId: bootId(), host: hostname(), purpose, since: new Date().toISOString() };
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether the holder still runs. `unknown` (another host sharing this file system) counts as
 * alive: we cannot look at its processes, so only waiting or the user can decide.
 */
export function holderLiveness(holder: LockHolder): Liveness {
  if (holder.host !== hostname()) return 'unknown';
  const boot = bootId();
  if (holder.bootId && boot && holder.bootId !== boot) return 'dead';
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'dead';
  }
  // The pid runs, but is it still the process that took the lock, or a newer one given the same pid?
  const start = processStartTime(holder.pid);
  if (holder.startTime && start && start !== holder.startTime) return 'dead';
  return 'alive';
}

async function readHolder(path: string): Promise<LockHolder | null | 'missing'> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? 'missing' : null));
  if (text === 'missing') return 'missing';
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as LockHolder;
    return typeof value.pid === 'number' ? value : null;
  } catch {
    return null;
  }
}

export function describeHolder(holder: LockHolder): string {
  const host = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return `${holder.purpose}, pid ${holder.pid}${host}, since ${holder.since.slice(11, 19)} UTC`;
}

/** Creates the lock file whole, or returns false when it already exists. */
async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  const temp = `${path}.new-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(temp, JSON.stringify(holder));
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Removes a lock judged stale, under a second, short-lived lock (a folder), so two waiters that both
 * judged it stale cannot remove a lock the first of them has just taken.
 */
async function breakStale(path: string, judged: LockHolder | null): Promise<void> {
  const breaker = `${path}.break`;
  try {
    await mkdir(breaker);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A breaker left by a killed run: no break takes more than a moment.
    const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > 10_000) await rmdir(breaker).catch(() => {});
    return;
  }
  try {
    const now = await readHolder(path);
    if (now === 'missing') return;
    if (JSON.stringify(now) !== JSON.stringify(judged)) return; // someone else's, newer
    await rename(path, `${path}.stale-${process.pid}`);
    await unlink(`${path}.stale-${process.pid}`).catch(() => {});
  } finally {
    await rmdir(breaker).catch(() => {});
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function defaultWait(): number {
  const fromEnv = Number(process.env.LOOM_GUARD_LOCK_WAIT_MS);
  return Number.isFinite(fromEnv) && fromEnv >= 0 && process.env.LOOM_GUARD_LOCK_WAIT_MS !== '' ? fromEnv : 60_000;
}

/** Held locks of this process, so a second acquire by the same process (nested calls) shares it. */
const held = new Map<string, { count: number }>();

/**
 * Takes the working tree's lock, waiting for a live holder (one line says for whom) up to `waitMs`,
 * then refusing with exit 2. A stale lock (holder dead, rebooted since, or its pid reused) is
 * broken. Release with `release()` or `await using`.
 */
export async function acquireRepoLock(paths: Pick<RepoPaths, 'gitDir'>, options: AcquireOptions): Promise<RepoLock> {
  const path = lockPath(paths.gitDir);
  const mine = held.get(path);
  if (mine) {
    mine.count++;
    return makeLock(path);
  }
  try {
    return await acquire(path, paths.gitDir, options);
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new GuardError(`loom-guard cannot take the lock ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); nothing was changed: make ${join(paths.gitDir, 'loom-guard')} writable (or free some space), then try again`);
  }
}

async function acquire(path: string, gitDir: string, options: AcquireOptions): Promise<RepoLock> {
  await mkdir(join(gitDir, 'loom-guard'), { recursive: true });
  const holder = currentHolder(options.purpose);
  const waitMs = options.waitMs ?? defaultWait();
  const started = Date.now();
  let announced = false;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(path, holder)) break;
    const other = await readHolder(path);
    if (other === 'missing') continue;
    // A torn or unreadable lock cannot be: it is created whole. Treat it as stale.
    if (other === null || holderLiveness(other) === 'dead') {
      await breakStale(path, other);
      continue;
    }
    if (Date.now() - started >= waitMs) {
      throw new GuardError(
        `another loom-guard run (${describeHolder(other)}) is using this working tree: waited ${Math.round(waitMs / 1000)}s; let it finish and try again (if it is stuck: kill ${other.pid}; its lock is ${path})`,
      );
    }
    if (!announced) {
      options.reporter?.note(`waiting for another loom-guard run (${describeHolder(other)}) to finish with this working tree`);
      announced = true;
    }
    await sleep(Math.min(200, 20 + attempt * 10));
  }
  held.set(path, { count: 1 });
  return makeLock(path);
}

function makeLock(path: string): RepoLock {
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    const entry = held.get(path);
    if (!entry) return;
    if (--entry.count > 0) return;
    held.delete(path);
    await unlink(path).catch(() => {});
  };
  return { path, release, [Symbol.asyncDispose]: release };
}

/** Whether this process holds the lock (for code that must only run under it). */
export function holdsRepoLock(gitDir: string): boolean {
  return held.has(lockPath(gitDir));
}

/** The current holder, for doctor: null when nobody holds the lock. */
export async function lockHolder(gitDir: string): Promise<(LockHolder & { liveness: Liveness }) | null> {
  const holder = await readHolder(lockPath(gitDir));
  if (holder === 'missing' || holder === null) return null;
  return { ...holder, liveness: holderLiveness(holder) };
}

/** Releases synchronously on process exit (a signal handler's process.exit), best effort. */
export function releaseAllSync(): void {
  for (const path of held.keys()) {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
  held.clear();
}
