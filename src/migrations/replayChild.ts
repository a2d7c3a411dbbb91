import { readFileSync, writeSync } from 'node:fs';
import { runJob, type ReplayJob } from './replayJob.js';

/*
 * The child process a replay on node:sqlite runs in (node:sqlite on Node 22 cannot interrupt a
 * statement): it reads {plan, functions} as JSON on stdin and writes one JSON line per event on
 * stdout, synchronously, so the parent knows which statement runs when it kills the child at the
 * budget, and keeps every finding sent before. Started by replay.ts only.
 */

const send = (message: unknown) => {
  writeSync(1, `${JSON.stringify(message)}\n`);
};

async function main(): Promise<void> {
  await runJob('node:sqlite', JSON.parse(readFileSync(0, 'utf8')) as ReplayJob, send);
}

main().catch((error: unknown) => {
  send({ error: (error as Error).message.split('\n')[0] });
  process.exitCode = 1;
});
