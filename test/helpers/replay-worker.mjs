// A worker thread that runs the replay's module API (dist/migrations/replay.js) case by case for
// test/replay-fuzz.test.mjs: the WASM build runs a statement synchronously, so a replay that never
// ended would freeze the test's own timers. Here it freezes only this thread, and the test, whose
// event loop stays free, terminates it and fails the case. Each message is {id, files, options};
// each answer {id, findings} or {id, error} (a throw: the replay promises never to throw).
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

const { replay } = await import(join(workerData.root, 'dist/migrations/replay.js'));

parentPort.on('message', async ({ id, files, options }) => {
  try {
    const findings = await replay(files, { ...options, changed: new Set(files.map((f) => f.path)) });
    parentPort.postMessage({ id, findings });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error?.stack ?? error) });
  }
});
parentPort.postMessage({ ready: true });
