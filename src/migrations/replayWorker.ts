import { parentPort } from 'node:worker_threads';
import { GuardError } from '../errors.js';
import { loadEngine } from '../sqlite/engine.js';
import type { ReplayFunction } from './replay.js';
import { runPlan, type Plan } from './replayRun.js';

/*
 * The worker thread a replay on the WASM build runs in. Its progress handler interrupts a statement
 * at the budget, but SQLite calls it only between virtual-machine steps: one function call that
 * runs long (randomblob(900000000), hex(zeroblob(…)), a LIKE over a long string) never returns to
 * it, and in the hook's own thread that would hang the hook. Here the parent, whose event loop stays
 * free, terminates the thread at the budget (V8 stops WASM code mid-call), as it kills the child
 * process node:sqlite runs in (replayChild.ts). Same messages: {at}, {finding}, {done}, {error},
 * and {fatal} for a set-up error (the WASM build cannot load) that is exit 2, not a finding.
 * Started by replay.ts only.
 */

interface Job {
  plan: Plan;
  functions: ReplayFunction[];
}

const port = parentPort;
const send = (message: unknown) => port?.postMessage(message);
const stub = (...values: unknown[]) => (values.length ? values[0] : null);

/** One job: the engine stays loaded between jobs, each job gets a fresh database. */
async function run(job: Job): Promise<void> {
  const engine = await loadEngine('sqlite-wasm');
  const db = engine.open();
  try {
    for (const f of job.functions) db.define(f.name, f.args, stub);
    runPlan(db, job.plan, {
      statement: (file, index) => send({ at: [file, index] }),
      finding: (finding) => send({ finding }),
    });
  } finally {
    db.close();
  }
  send({ done: true });
}

// The parent keeps an idle worker for the next replay of the same process (tests, `check` on
// several folders) and terminates one only at a budget. After an error this thread ends.
port?.on('message', (job: Job) => {
  run(job).catch((error: unknown) => {
    const message = (error as Error).message.split('\n')[0];
    send(error instanceof GuardError ? { fatal: message } : { error: message });
    process.exit(1);
  });
});
