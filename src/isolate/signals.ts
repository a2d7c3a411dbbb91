import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { Progress } from '../progress.js';
import { runningChildren } from '../proc.js';
import { releaseAllSync } from './lock.js';

/*
 * The one place that handles SIGINT, SIGTERM and SIGHUP while the working tree is changed. Whatever
 * must be put back registers a cleanup; on a signal the running tools are stopped, every cleanup
 * runs (in the reverse order of registration), the locks are released and the process exits
 * 130/143/129. The code that hides files never handles a signal itself.
 */

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
const SIGNALS = Object.keys(SIGNAL_CODES) as NodeJS.Signals[];

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let received: NodeJS.Signals | null = null;
const swallow = () => {};

/** Set inside the handler's own work (its cleanups), to tell it from the interrupted job's code. */
const handling = new AsyncLocalStorage<true>();

/**
 * True once a signal arrived, for the interrupted job's code only: that code must not write any
 * more (the handler is restoring); the handler's cleanups (which may journal a fix) are not stopped.
 */
export function mustStop(): boolean {
  return received !== null && handling.getStore() !== true;
}

/** The signal being handled, or null: code that sees one must leave the rest to the handler. */
export function interrupted(): NodeJS.Signals | null {
  return received;
}

/** Never resolves: what a caller awaits once the signal handler owns the restore and the exit. */
export function handedOver(): Promise<never> {
  return new Promise<never>(() => {});
}

/**
 * Every process below this one (Linux /proc): lint-staged runs its tasks from inside this process,
 * so a fixer still writing when Ctrl-C arrives is not one of proc.ts's children. Empty elsewhere.
 */
function descendants(): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const parent = new Map<number, number>();
  for (const name of names) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses; the last ')' ends it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      /* gone meanwhile */
    }
  }
  const out: number[] = [];
  const below = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!below.has(pid) && below.has(ppid)) {
        below.add(pid);
        out.push(pid);
        grew = true;
      }
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

async function stopChildren(): Promise<void> {
  const children = [...runningChildren()].filter((c) => c.exitCode === null && c.signalCode === null);
  const closed = Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  const others = descendants().filter((pid) => !children.some((c) => c.pid === pid));
  if (!children.length && !others.length) return;
  for (const child of children) child.kill('SIGTERM');
  for (const pid of others) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
    for (const pid of others) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }, 3000);
  // A fixer must have stopped writing before the restore starts.
  const started = Date.now();
  while (others.some(alive) && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
  await closed;
  clearTimeout(timer);
}

function onSignal(signal: NodeJS.Signals): void {
  // A second Ctrl-C while the tree is being put back must not cut the restore short.
  if (received) return;
  received = signal;
  // Should the event loop ever run dry before the exit below (work waiting on a promise that never
  // settles), the process must still end as interrupted, never 0: git would commit.
  process.exitCode = SIGNAL_CODES[signal] ?? 1;
  // A progress line left on screen would swallow the first line of what the cleanups report.
  Progress.clearAll();
  void handling.run(true, async () => {
    await stopChildren();
    for (const cleanup of [...cleanups].reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`loom-guard: ${(error as Error).message}\n`);
      }
    }
    // Last: whatever a stopped in-process tool (lint-staged) started since is ended, then its scratch goes.
    for (const pid of descendants()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const path of scratchFiles) for (const p of [path, `${path}.lock`]) rmSync(p, { force: true });
    releaseAllSync();
    process.exit(SIGNAL_CODES[signal] ?? 1);
  });
}

const scratchFiles = new Set<string>();

/** A scratch file (a temporary index) removed when a signal ends the process; returns its unregister. */
export function scratchFile(path: string): () => void {
  scratchFiles.add(path);
  return () => scratchFiles.delete(path);
}

/** Registers a cleanup for the signals above; returns its unregister. */
export function onInterrupt(cleanup: Cleanup): () => void {
  if (!cleanups.length) {
    for (const s of SIGNALS) process.on(s, onSignal);
    // A terminal closed under us must not turn a report line into a crash halfway through a restore.
    process.stderr.on('error', swallow);
  }
  cleanups.push(cleanup);
  return () => {
    const i = cleanups.indexOf(cleanup);
    if (i >= 0) cleanups.splice(i, 1);
    if (!cleanups.length && !received) {
      for (const s of SIGNALS) process.off(s, onSignal);
      process.stderr.off('error', swallow);
    }
  };
}
