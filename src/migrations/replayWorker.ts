import { parentPort } from 'node:worker_threads';
import { GuardError } from '../errors.js';
import { runJob, type ReplayJob } from './replayJob.js';

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


const port = parentPort;
const send = (message: unknown) => port?.postMessage(message);
/** One job: the engine stays loaded between jobs, each job gets a fresh database. */
const run = (job: ReplayJob): Promise<void> => runJob('sqlite-wasm', job, send);

// The parent keeps an idle worker for the next replay of the same process (tests, `check` on
// several folders) and terminates one only at a budget. After an error this thread ends.
port?.on('message', (job: ReplayJob) => {
  run(job).catch((error: unknown) => {
    const message = (error as Error).message.split('\n')[0];
    send(error instanceof GuardError ? { fatal: message } : { error: message });
    process.exit(1);
  });
});
