import { loadEngine, type EngineName } from '../sqlite/engine.js';
import type { ReplayFunction } from './replay.js';
import { runPlan, type Plan } from './replayRun.js';

/*
 * One replay as the child process (node:sqlite) and the worker thread (WASM) run it: a fresh
 * database, the declared functions stubbed, each statement and finding told as it happens, then
 * {done}. Only how messages travel differs between the two.
 */

export interface ReplayJob {
  plan: Plan;
  functions: ReplayFunction[];
}

const stub = (...values: unknown[]) => (values.length ? values[0] : null);

export async function runJob(engineName: EngineName, job: ReplayJob, send: (message: unknown) => void): Promise<void> {
  const engine = await loadEngine(engineName);
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
