// Two builds of loom-guard side by side on the pre-commit and pre-push rows, rounds interleaved in
// one process (the same machine moment hits both): `node bench/versus.mjs <baseline checkout>`,
// where the baseline is a built checkout of another commit (npm ci && npm run build in it). Each
// build gets its own copy of the Loom-sized workspace (50 crates) with its own hooks installed, so
// whatever it does after a run (the shim refresh) is counted. Prints medians and ratios. A third
// argument names a built checkout to use instead of this one (a frozen copy, so rebuilding this
// checkout during the run changes nothing).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { alternate, benchEnv, CLI, median } from './lib.mjs';
import { loomSizedRepo } from './workspace.mjs';

const CRATE = 'loom-crate-05';
const LIB = `crates/${CRATE}/src/lib.rs`;

function sh(cmd, args, cwd, { input, env } = {}) {
  const base = benchEnv();
  for (const key of ['CARGO_TARGET_DIR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE']) delete base[key];
  const started = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...base, ...env }, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: (r.stdout ?? '').trim(), ms: performance.now() - started };
}
const git = (cwd, ...args) => {
  const r = sh('git', args, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.out}`);
  return r.stdout;
};

/** One workspace per build, hooks installed by that build. */
async function setup(cli, items, lint = null) {
  const { dir } = await loomSizedRepo(50, { items });
  // The lint mode is committed once: a staged config (outside every crate) would widen a run.
  if (lint) {
    writeFileSync(join(dir, '.loom-guard.json'), JSON.stringify({ lint }));
    git(dir, 'add', '.loom-guard.json');
    git(dir, 'commit', '-q', '--no-verify', '-m', `lint ${lint}`);
  }
  const r = sh(process.execPath, [cli, 'install'], dir);
  if (r.code !== 0) throw new Error(`install: ${r.out}`);
  git(dir, 'branch', 'pushed');
  return { cli, dir, original: readFileSync(join(dir, LIB), 'utf8'), edits: 0, last: '0'.repeat(40) };
}

const log = (line) => process.stderr.write(`${line}\n`);

function preCommit(side, lint) {
  return () => {
    side.edits++;
    writeFileSync(join(side.dir, LIB), `${side.original}\npub fn edit_${side.edits}(n: u64) -> u64 {\n    n + ${side.edits}\n}\n`);
    git(side.dir, 'add', LIB);
    const r = sh(process.execPath, [side.cli, 'pre-commit'], side.dir, { env: { CARGO_TARGET_DIR: join(side.dir, 'target') } });
    if (!r.out.includes(`1 crate (${CRATE})`)) throw new Error(`pre-commit did not check ${CRATE} alone:\n${r.out}`);
    log(`  pre-commit ${side.label} (${lint}): ${(r.ms / 1000).toFixed(2)}s`);
    return r.ms;
  };
}

function prePush(side, expect) {
  const sha = git(side.dir, 'rev-parse', 'pushed');
  const r = sh(process.execPath, [side.cli, 'pre-push', 'origin', 'bench'], side.dir, { input: `refs/heads/pushed ${sha} refs/heads/pushed ${side.last}\n` });
  side.last = sha;
  if (r.code !== 0) throw new Error(`pre-push ${side.label} failed:\n${r.out}`);
  if (expect && !expect.test(r.out)) throw new Error(`pre-push ${side.label}: expected ${expect}:\n${r.out}`);
  log(`  pre-push ${side.label}: ${(r.ms / 1000).toFixed(2)}s`);
  return r.ms;
}

function pushEdit(side) {
  return () => {
    git(side.dir, 'checkout', '-q', 'pushed');
    side.edits++;
    writeFileSync(join(side.dir, LIB), `${side.original}\npub fn bench_${side.edits}() -> u64 {\n    ${side.edits}\n}\n`);
    git(side.dir, 'commit', '-q', '--no-verify', '-am', `bench edit ${side.edits}`);
    git(side.dir, 'checkout', '-q', 'main');
    // The output's wording differs between builds; this build's must name the affected crates.
    return prePush(side, side.warm && side.label === 'this build' ? /9 crates \(.*\) affected since/ : null);
  };
}

/** The pre-commit rows: one crate staged, single-pass on both builds and parallel on this one. */
async function commitSection(baseCli, headCli, rounds) {
  const sides = {
    base: { ...(await setup(baseCli, 120, 'single-pass')), label: 'baseline' },
    head: { ...(await setup(headCli, 120, 'single-pass')), label: 'this build' },
    parallel: { ...(await setup(headCli, 120, 'parallel')), label: 'this build' },
  };
  try {
    const contenders = {
      'baseline pre-commit (single-pass)': preCommit(sides.base, 'single-pass'),
      'this build pre-commit (single-pass)': preCommit(sides.head, 'single-pass'),
      'this build pre-commit (parallel)': preCommit(sides.parallel, 'parallel'),
    };
    alternate(contenders, 1);
    const samples = alternate(contenders, rounds);
    return { samples, medians: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) };
  } finally {
    for (const s of Object.values(sides)) rmSync(join(s.dir, '..'), { recursive: true, force: true });
  }
}

export async function versus(baseline, { commitRounds = 5, pushRounds = 5, hitRounds = 5, headCli = CLI } = {}) {
  const baseCli = join(resolve(baseline), 'dist/cli.js');
  const CLI = headCli;
  // Rounds of 0 leave the pre-commit section out (the cache-hit row alone is quick to repeat often).
  const out = { preCommit: commitRounds > 0 ? await commitSection(baseCli, CLI, commitRounds) : { samples: {}, medians: {} } };
  const push = { base: { ...(await setup(baseCli, 40)), label: 'baseline' }, head: { ...(await setup(CLI, 40)), label: 'this build' } };
  try {
    const contenders = { 'baseline pre-push (affected)': pushEdit(push.base), 'this build pre-push (affected)': pushEdit(push.head) };
    alternate(contenders, 1); // cold: the workspace, not counted
    push.base.warm = push.head.warm = true;
    const samples = pushRounds > 0 ? alternate(contenders, pushRounds) : {};
    const hits = { 'baseline pre-push, cache hit': [], 'this build pre-push, cache hit': [] };
    // The first hit of each side primes the verdict cache's own files: not counted.
    for (const side of [push.base, push.head]) prePush(side, /\(cached\)/);
    for (let i = 0; i < hitRounds; i++) {
      const pair = [['baseline pre-push, cache hit', push.base], ['this build pre-push, cache hit', push.head]];
      // Each goes first every other round: the one after another run may meet a warmer page cache.
      for (const [name, side] of i % 2 ? pair.reverse() : pair) {
        hits[name].push(prePush(side, /\(cached\)/));
      }
    }
    Object.assign(samples, hits);
    out.prePush = { samples, medians: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])) };
  } finally {
    for (const s of Object.values(push)) rmSync(join(s.dir, '..'), { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const baseline = process.argv[2];
  if (!baseline) {
    console.error('usage: node bench/versus.mjs <built checkout of the baseline commit> [rounds] [built checkout to use as this build]; LOOM_GUARD_BENCH_HITS=<n> cache-hit pushes per build (5)');
    process.exit(2);
  }
  const rounds = Number(process.argv[3] ?? 5);
  const headCli = process.argv[4] ? join(resolve(process.argv[4]), 'dist/cli.js') : CLI;
  // LOOM_GUARD_BENCH_HITS=<n>: that many cache-hit pushes per build instead of 5.
  const hitRounds = Number(process.env.LOOM_GUARD_BENCH_HITS ?? 5);
  const r = await versus(baseline, { commitRounds: rounds, pushRounds: rounds, hitRounds, headCli });
  console.log(JSON.stringify(r, null, 2));
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const m = { ...r.preCommit.medians, ...r.prePush.medians };
  const ratio = (a, b) => `${(m[a] / m[b]).toFixed(3)}×`;
  if (rounds > 0) console.log(`pre-commit single-pass: baseline ${s(m['baseline pre-commit (single-pass)'])}, this build ${s(m['this build pre-commit (single-pass)'])} (${ratio('this build pre-commit (single-pass)', 'baseline pre-commit (single-pass)')}); parallel ${s(m['this build pre-commit (parallel)'])} (${ratio('this build pre-commit (parallel)', 'baseline pre-commit (single-pass)')})`);
  if (rounds > 0) console.log(`pre-push affected: baseline ${s(m['baseline pre-push (affected)'])}, this build ${s(m['this build pre-push (affected)'])} (${ratio('this build pre-push (affected)', 'baseline pre-push (affected)')})`);
  console.log(`pre-push cache hit: baseline ${s(m['baseline pre-push, cache hit'])}, this build ${s(m['this build pre-push, cache hit'])} (${ratio('this build pre-push, cache hit', 'baseline pre-push, cache hit')})`);
}
