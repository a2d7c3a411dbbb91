import { spawn } from 'node:child_process';
import { open } from 'node:fs/promises';

/*
 * cargo's build lock on a profile folder (<target>/<profile>/.cargo-lock, an exclusive flock(2)
 * for the whole build). Reading a target folder another cargo may be writing (the user's build
 * while a push seeds its private checkout from it) takes the same lock, shared: cargo waits for
 * us, we wait for cargo, and no half-written unit is ever read. Node has no flock, so flock(1)
 * takes it on a descriptor we hold: a flock belongs to the open file, which outlives the child,
 * and is released when we close it.
 */

export type CargoLockOutcome = 'locked' | 'no lock file' | 'no flock' | 'timed out';

export interface HeldLock {
  outcome: CargoLockOutcome;
  release: () => Promise<void>;
}

/**
 * Takes a shared lock on `lockFile` (cargo's .cargo-lock), waiting up to `timeoutS` seconds;
 * `onWait` is told once when a build holds it.
 */
export async function lockCargoShared(lockFile: string, timeoutS = 120, onWait?: () => void): Promise<HeldLock> {
  const none = async () => undefined;
  // 'r': never create the lock file in the user's target folder.
  const handle = await open(lockFile, 'r').catch(() => null);
  if (!handle) return { outcome: 'no lock file', release: none };
  const release = () => handle.close().catch(() => undefined);
  const flock = (wait: string[]) =>
    new Promise<CargoLockOutcome>((resolve) => {
      const child = spawn('flock', ['--shared', ...wait, '3'], { stdio: ['ignore', 'ignore', 'ignore', handle.fd] });
      child.on('error', () => resolve('no flock'));
      // flock(1) exits 1 when the lock stayed busy; any other failure counts as having no flock.
      child.on('close', (code) => resolve(code === 0 ? 'locked' : code === 1 ? 'timed out' : 'no flock'));
    });
  let outcome = await flock(['--nonblock']);
  if (outcome === 'timed out') {
    onWait?.();
    outcome = await flock(['--wait', String(timeoutS)]);
  }
  if (outcome !== 'locked') {
    await release();
    return { outcome, release: none };
  }
  return { outcome, release };
}
