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

/** The signal being handled, or null: code that sees one must leave the rest to the handler. */
export function interrupted(): NodeJS.Signals | null {
  return received;
}

/** Never resolves: what a caller awaits once the signal handler owns the restore and the exit. */
export function handedOver(): Promise<never> {
  return new Promise<never>(() => {});
}

async function stopChildren(): Promise<void> {
  const children = [...runningChildren()].filter((c) => c.exitCode === null && c.signalCode === null);
  if (!children.length) return;
  const closed = Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  for (const child of children) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 3000);
  await closed;
  clearTimeout(timer);
}

function onSignal(signal: NodeJS.Signals): void {
  // A second Ctrl-C while the tree is being put back must not cut the restore short.
  if (received) return;
  received = signal;
  // A progress line left on screen would swallow the first line of what the cleanups report.
  Progress.clearAll();
  void (async () => {
    await stopChildren();
    for (const cleanup of [...cleanups].reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`loom-guard: ${(error as Error).message}\n`);
      }
    }
    releaseAllSync();
    process.exit(SIGNAL_CODES[signal] ?? 1);
  })();
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
