import { readFileSync, writeSync } from 'node:fs';
import { loadEngine } from '../sqlite/engine.js';
import type { ReplayFunction } from './replay.js';
import { runPlan, type Plan } from './replayRun.js';

/*
 * The child process a replay on node:sqlite runs in (node:sqlite on Node 22 cannot interrupt a
 * statement): it reads {plan, functions} as JSON on stdin and writes one JSON line per event on
 * stdout, synchronously, so the parent knows which statement runs when it kills the child at the
 * budget, and keeps every finding sent before. Started by replay.ts only.
 */

interface Job {
  plan: Plan;
  functions: ReplayFunction[];
}

const send = (message: unknown) => {
  writeSync(1, `${JSON.stringify(message)}\n`);
};

const stub = (...values: unknown[]) => (values.length ? values[0] : null);

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(0, 'utf8')) as Job;
  const engine = await loadEngine('node:sqlite');
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

main().catch((error: unknown) => {
  send({ error: (error as Error).message.split('\n')[0] });
  process.exitCode = 1;
});
