// Runs every test file with uvu and ends with one plain line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const pattern = process.argv[2] ? new RegExp(process.argv[2]) : null;
const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.test.mjs'))
  .filter((f) => !pattern || pattern.test(f))
  .sort();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  const started = Date.now();
  const result = spawnSync(process.execPath, [`test/${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const out = result.stdout + result.stderr;
  const total = Number(/Total:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const skip = Number(/Skipped:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const bad = result.status === 0 ? total - ok - skip : Math.max(1, total - ok - skip);
  passed += ok;
  failed += bad;
  skipped += skip;
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`${bad ? '✖' : '✔'} ${file}  ${ok}/${total}  ${secs}s\n`);
  if (bad) process.stdout.write(out.replace(/^/gm, '    ') + '\n');
}
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exitCode = failed ? 1 : 0;
