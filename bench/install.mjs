// Benchmark: what `npm install loom-guard` costs a user. Packs this checkout (npm pack), then times
// `npm install <tarball>` into a fresh git repository in a temporary folder, with the npm cache warm
// (--prefer-offline), so the time is unpacking, linking and any install script, not the network.
// With a baseline tarball (LOOM_GUARD_BENCH_BASELINE_TGZ, e.g. one packed from an older checkout),
// the two alternate round by round on the same machine.
//   node bench/install.mjs      (after npx tsc -p .)
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, median, ROOT, run, tempDir, timed } from './lib.mjs';

function pack() {
  const dir = tempDir('loom-guard-bench-pack-');
  // dist/ is built by `npm run bench`; --ignore-scripts keeps pack from rebuilding it.
  run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT });
  return join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
}

function installInto(tarball) {
  const dir = tempDir('loom-guard-bench-install-');
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }));
    run('git', ['init', '-q'], { cwd: dir });
    return timed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-dev', tarball], { cwd: dir }).ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchInstall({ runs = 3, baseline = process.env.LOOM_GUARD_BENCH_BASELINE_TGZ } = {}) {
  const tarball = pack();
  try {
    installInto(tarball); // fills the npm cache with this version's dependencies
    const contenders = { current: () => installInto(tarball) };
    if (baseline) contenders.baseline = () => installInto(baseline);
    const samples = alternate(contenders, runs);
    return {
      runs,
      currentMedianMs: Math.round(median(samples.current)),
      ...(baseline ? { baseline, baselineMedianMs: Math.round(median(samples.baseline)) } : {}),
      samples,
    };
  } finally {
    rmSync(join(tarball, '..'), { recursive: true, force: true });
  }
}

const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Table rows for bench/run.mjs. */
export function rows(r) {
  return [[
    '`npm install` of the packed tarball into a fresh repository (npm cache warm)',
    s(r.currentMedianMs),
    r.baselineMedianMs ? `baseline tarball ${s(r.baselineMedianMs)}` : '',
    '',
  ]];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchInstall({ runs: Number(process.argv[2] ?? 3) });
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
