// npm run bench: every measurement side by side in one run; prints a markdown table and writes
// bench/results/latest.json. Not part of the test suite.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ensurePeers, fmt, ROOT } from './lib.mjs';

// `--real`: only the realistic workspace on real third-party crates (bench/real.mjs, several minutes).
const real = process.argv.includes('--real');
const pattern = process.argv.slice(2).find((a) => a !== '--real');
const only = pattern ? new RegExp(pattern) : null;
if (!real) ensurePeers();
else {
  const { THIRD_PARTY } = await import('./realWorkspace.mjs');
  const { debianRegistryAdvice } = await import('../test/helpers/debian-registry.mjs');
  const missing = debianRegistryAdvice(Object.keys(THIRD_PARTY));
  if (missing) {
    console.error(`bench --real: ${missing}`);
    process.exit(2);
  }
}
const sections = real ? [['real', './real.mjs', 'benchReal']] : [
  ['noop', './noop.mjs', 'benchNoop'],
  ['pre-commit', './pre-commit.mjs', 'benchPreCommit'],
  ['nix-check', './nix-check.mjs', 'benchNixCheck'],
  ['migrations-check', './migrations-check.mjs', 'benchMigrationsCheck'],
  ['install', './install.mjs', 'benchInstall'],
  ['pre-push', './pre-push.mjs', 'benchPrePush'],
  ['isolate', './isolate.mjs', 'benchIsolate'],
];
const results = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
};
const rows = [];
for (const [name, file, fn] of sections) {
  if (only && !only.test(name)) continue;
  if (!existsSync(new URL(file, import.meta.url))) {
    rows.push([name, 'not built', '', '']);
    continue;
  }
  console.error(`bench: ${name} …`);
  const mod = await import(file);
  const r = await mod[fn]();
  results[name] = r;
  rows.push(...(mod.rows ? mod.rows(r) : [[name, JSON.stringify(r), '', '']]));
}

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, real ? 'bench/results/latest-real.json' : 'bench/results/latest.json'), JSON.stringify(results, null, 2));
const table = [
  `Measured ${results.date.slice(0, 10)} on ${results.machine}; medians of alternating runs in one process.`,
  '',
  '| measurement | value | compared with | target |',
  '| --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(table);
export { fmt };
