// Times `loom-guard nix check` on the largest corpus pair (by Cargo.lock size), copied into a temp
// git repository: in-process (the dist modules: read through git + the rule, median of 20; and the
// rule alone) and as a whole process (`node dist/cli.js nix check`, median of 15). Then generated
// pairs whose Cargo.nix is 8, 32 and 100 MB (bench/bigCargoNix.mjs, never committed), whole process,
// median of 3: parsing must stay linear (issue 22: 32 MB <= 2 s, 100 MB <= 6 s).
// Run: npx tsc -p . && node bench/nix-check.mjs
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CORPUS as CORPUS_ROOT } from '../test/helpers/corpus.mjs';
import { writeBigPair } from './bigCargoNix.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// The whole corpus when it is beside the checkout, else the fixture set (test/helpers/corpus.mjs).
const CORPUS = join(CORPUS_ROOT, 'cargo2nix');
const dist = (m) => import(pathToFileURL(join(ROOT, 'dist', m)).href);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function git(cwd, args) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x.invalid', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x.invalid' } });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** `nix check` as a whole process on a generated, committed pair with a Cargo.nix of `mb` MB. */
function bigRow(mb, runs) {
  const dir = mkdtempSync(join(tmpdir(), 'loom-guard-bench-bignix-'));
  try {
    git(dir, ['init', '-q']);
    const bytes = writeBigPair(dir, mb * 1e6);
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '--no-verify', '-m', 'big pair']);
    const times = [];
    let exitCode = null;
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'nix', 'check'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
      times.push(performance.now() - t0);
      exitCode = r.status;
    }
    return { mb, bytes, exitCode, medianMs: median(times) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchNixCheck({ inProcessRuns = 20, processRuns = 15, bigRuns = 3, bigSizes = [8, 32, 100] } = {}) {
  const largest = readdirSync(CORPUS)
    .map((name) => ({ name, size: statSync(join(CORPUS, name, 'Cargo.lock')).size }))
    .sort((a, b) => b.size - a.size)[0];
  const dir = mkdtempSync(join(tmpdir(), 'loom-guard-bench-nix-'));
  try {
    git(dir, ['init', '-q']);
    for (const f of ['Cargo.lock', 'Cargo.nix']) copyFileSync(join(CORPUS, largest.name, f), join(dir, f));
    git(dir, ['add', '-A']);
    git(dir, ['commit', '-q', '--no-verify', '-m', 'pair']);

    const { checkNixSync } = await dist('nix/rules.js');
    const { gatherNixSync, resourceMatcher } = await dist('checks/nixSync.js');
    const { BlobReader, INDEX } = await dist('git.js');
    const { DEFAULT_CONFIG } = await dist('config.js');

    const inProcess = [];
    const ruleOnly = [];
    let verdict = null;
    for (let i = 0; i < inProcessRuns + 2; i++) {
      const t0 = performance.now();
      const reader = new BlobReader(dir);
      const input = await gatherNixSync({ reader, root: dir, target: INDEX, base: null, changes: null, matches: await resourceMatcher(DEFAULT_CONFIG.resources) });
      reader.close();
      const t1 = performance.now();
      verdict = checkNixSync(input).verdict;
      const t2 = performance.now();
      if (i >= 2) {
        // the first two warm the module and file caches
        inProcess.push(t2 - t0);
        ruleOnly.push(t2 - t1);
      }
    }

    const whole = [];
    let exitCode = null;
    for (let i = 0; i < processRuns; i++) {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli.js'), 'nix', 'check'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
      whole.push(performance.now() - t0);
      exitCode = r.status;
    }
    const big = bigSizes.map((mb) => bigRow(mb, bigRuns));
    return {
      big,
      pair: largest.name,
      lockBytes: largest.size,
      verdict,
      exitCode,
      inProcessMedianMs: median(inProcess),
      ruleOnlyMedianMs: median(ruleOnly),
      wholeProcessMedianMs: median(whole),
      runs: { inProcess: inProcess.length, wholeProcess: whole.length },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows for bench/run.mjs: measurement, value, compared with, target. */
export function rows(r) {
  return [
    [`\`nix check\`, largest corpus pair (${r.pair}, ${Math.round(r.lockBytes / 1024)} KiB Cargo.lock), whole process`, `${r.wholeProcessMedianMs.toFixed(0)} ms`, '', ''],
    ['`nix check` in-process (read through git + rule)', `${r.inProcessMedianMs.toFixed(1)} ms`, `rule alone ${r.ruleOnlyMedianMs.toFixed(1)} ms`, ''],
    ...(r.big ?? []).map((b) => [
      `\`nix check\`, generated ${b.mb} MB Cargo.nix, whole process (exit ${b.exitCode})`,
      `${(b.medianMs / 1000).toFixed(2)} s`,
      'before #22: 8 MB 3 s, 32 MB 34 s, 100 MB > 300 s',
      b.mb === 32 ? '<= 2 s' : b.mb === 100 ? '<= 6 s' : '',
    ]),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchNixCheck();
  console.log(`nix check on ${r.pair} (Cargo.lock ${r.lockBytes} bytes, ${r.verdict}, exit ${r.exitCode})`);
  console.log(`  in-process (read via git + rule), median of ${r.runs.inProcess}: ${r.inProcessMedianMs.toFixed(1)} ms (rule alone ${r.ruleOnlyMedianMs.toFixed(1)} ms)`);
  console.log(`  whole process (node dist/cli.js nix check), median of ${r.runs.wholeProcess}: ${r.wholeProcessMedianMs.toFixed(1)} ms`);
  for (const b of r.big) console.log(`  generated ${b.mb} MB Cargo.nix (${b.bytes} bytes, exit ${b.exitCode}), whole process, median of 3: ${(b.medianMs / 1000).toFixed(2)} s`);
}
