import { existsSync, writeFileSync } from 'node:fs';
import { interrupted } from './signals.js';

/*
 * Fault injection for the tests that prove nothing is lost: only tests set LOOM_GUARD_TEST_FAULT.
 * Every step of the isolation that changes the disk calls faultPoint(); the n-th call can send this
 * process a signal, pause until a test lets it go (to start a second run "at a random point"), or
 * fail like a full disk or an unwritable folder would.
 *
 *   LOOM_GUARD_TEST_FAULT=<action>@<n>   action: SIGKILL | SIGINT | SIGTERM | pause | ENOSPC | EACCES
 *   LOOM_GUARD_TEST_FAULT=<action>@<label>  at the first point whose label is <label> (not a number)
 *   LOOM_GUARD_TEST_PAUSE_FILE=<file>    pause: written when paused; deleting it lets the run go on
 *
 * A signal that arrives during a pause ends the pause: it is a signal at that step. (Waiting on would
 * hang the run, since the handler lets the step in progress finish before it restores.)
 */

const spec = process.env.LOOM_GUARD_TEST_FAULT ?? '';
const match = /^(SIGKILL|SIGINT|SIGTERM|pause|ENOSPC|EACCES)@(.+)$/.exec(spec);
const action = match?.[1] ?? null;
const at = match && /^\d+$/.test(match[2] as string) ? Number(match[2]) : 0;
const atLabel = match && !at ? (match[2] as string) : null;
let labelHit = false;
let count = 0;

/** Calls so far (a test's driver prints it, to learn how many points a run has). */
export function faultCount(): number {
  return count;
}

export async function faultPoint(label: string): Promise<void> {
  if (!action) return;
  count++;
  if (atLabel !== null) {
    if (labelHit || label !== atLabel) return;
    labelHit = true;
  } else if (count !== at) return;
  switch (action) {
    case 'SIGKILL':
    case 'SIGINT':
    case 'SIGTERM':
      process.kill(process.pid, action);
      // A signal is delivered between turns of the event loop: give it one.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return;
    case 'pause': {
      const file = process.env.LOOM_GUARD_TEST_PAUSE_FILE;
      if (!file) return;
      writeFileSync(file, label);
      while (existsSync(file) && !interrupted()) await new Promise((resolve) => setTimeout(resolve, 20));
      return;
    }
    default: {
      const error = new Error(`${action}: injected at ${label}`) as NodeJS.ErrnoException;
      error.code = action;
      throw error;
    }
  }
}
