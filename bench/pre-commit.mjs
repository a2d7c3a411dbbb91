// (b) The pre-commit cargo checks, warm, for a one-crate change in a generated Loom-sized workspace:
// `loom-guard pre-commit` (what the hook runs) in the three lint modes, against the same three cargo
// commands run by hand on that crate, and against the workspace-wide commands. Every contender
// first makes a fresh one-crate edit, so each measures the same warm incremental work; rounds
// alternate. After each hook run, the next plain `cargo build --profile dev-fast -p <crate>` is
// timed too, with the crates it compiled: the single pass builds through clippy-driver, and the
// wrapper is part of cargo's fingerprint, so that build is not free the way it is after the
// parallel (clippy in its own profile beside a plain build) or separate modes.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, benchEnv, CLI, median, run, timed } from './lib.mjs';

import { loomSizedRepo } from './workspace.mjs';

const CRATE = 'loom-crate-05';
const LIB = `crates/${CRATE}/src/lib.rs`;

export async function benchPreCommit({ rounds = 7, crates = 50, items = 120 } = {}) {
  const { dir } = await loomSizedRepo(crates, { items });
  try {
    return measure(dir, rounds, crates);
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

function measure(dir, rounds, crates) {
  const env = benchEnv({ CARGO_TARGET_DIR: join(dir, 'target') });
  const original = readFileSync(join(dir, LIB), 'utf8');
  let edit = 0;
  const touch = () => {
    edit++;
    writeFileSync(join(dir, LIB), `${original}\npub fn edit_${edit}(n: u64) -> u64 {\n    n + ${edit}\n}\n`);
    run('git', ['add', LIB], { cwd: dir });
  };
  const seq = (commands) => commands.reduce((ms, args) => ms + timed('cargo', args, { cwd: dir, env }).ms, 0);
  const p = ['-p', CRATE];
  const nextBuild = { parallel: [], 'single-pass': [], separate: [] };
  const nextCompiled = { parallel: 0, 'single-pass': 0, separate: 0 };
  const hook = (lint) => () => {
    // Staged, so the checks have no untracked file to set aside (the hand runs have none either).
    writeFileSync(join(dir, '.loom-guard.json'), JSON.stringify({ lint }));
    run('git', ['add', '.loom-guard.json'], { cwd: dir });
    touch();
    const t = timed(process.execPath, [CLI, 'pre-commit'], { cwd: dir, env });
    if (!t.out.includes(`1 crate (${CRATE})`)) throw new Error(`pre-commit did not check ${CRATE} alone:\n${t.out}`);
    const next = timed('cargo', ['build', '--profile', 'dev-fast', ...p], { cwd: dir, env });
    nextBuild[lint].push(next.ms);
    nextCompiled[lint] = Math.max(nextCompiled[lint], (next.out.match(/^\s*Compiling /gm) ?? []).length);
    return t.ms;
  };
  const contenders = {
    'loom-guard pre-commit (parallel)': hook('parallel'),
    'loom-guard pre-commit (single-pass)': hook('single-pass'),
    'loom-guard pre-commit (separate)': hook('separate'),
    'same 3 cargo commands by hand': () => {
      touch();
      return seq([
        ['fmt', '--check', ...p],
        ['clippy', '--profile', 'dev-fast', ...p, '--', '-D', 'warnings'],
        ['build', '--profile', 'dev-fast', ...p],
      ]);
    },
    'workspace-wide commands': () => {
      touch();
      return seq([
        ['fmt', '--all', '--', '--check'],
        ['clippy', '--workspace', '--profile', 'dev-fast', '--', '-D', 'warnings'],
        ['build', '--workspace', '--profile', 'dev-fast'],
      ]);
    },
  };
  // Warm-up: builds everything once, in both modes (not counted).
  alternate(contenders, 1);
  for (const k of Object.keys(nextBuild)) {
    nextBuild[k].length = 0;
    nextCompiled[k] = 0;
  }
  const samples = alternate(contenders, rounds);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const hand = medians['same 3 cargo commands by hand'];
  const parallel = medians['loom-guard pre-commit (parallel)'];
  const single = medians['loom-guard pre-commit (single-pass)'];
  const separate = medians['loom-guard pre-commit (separate)'];
  return {
    rounds,
    crates,
    samples,
    medians,
    nextBuild: { samples: nextBuild, compiled: nextCompiled, parallel: median(nextBuild.parallel), singlePass: median(nextBuild['single-pass']), separate: median(nextBuild.separate) },
    vsHand: parallel / hand,
    singleVsHand: single / hand,
    separateVsHand: separate / hand,
    vsWorkspace: parallel / medians['workspace-wide commands'],
  };
}

/** Table rows for bench/run.mjs. */
export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const hand = r.medians['same 3 cargo commands by hand'];
  const ws = r.medians['workspace-wide commands'];
  const parallel = r.medians['loom-guard pre-commit (parallel)'];
  const single = r.medians['loom-guard pre-commit (single-pass)'];
  const separate = r.medians['loom-guard pre-commit (separate)'];
  const crates = (n) => `${n} crate${n === 1 ? '' : 's'} compiled`;
  return [
    [`pre-commit, one-crate change, ${r.crates} crates, warm (\`lint\`: parallel, the default)`, s(parallel), `single-pass: ${s(single)}, separate: ${s(separate)}`, ''],
    ['pre-commit (parallel) / same 3 cargo commands on that crate by hand', `${r.vsHand.toFixed(2)}×`, s(hand), '≤ 0.8×'],
    ['pre-commit (single-pass) / same 3 cargo commands by hand', `${r.singleVsHand.toFixed(2)}×`, s(hand), ''],
    ['pre-commit (separate) / same 3 cargo commands by hand', `${r.separateVsHand.toFixed(2)}×`, s(hand), ''],
    ['pre-commit / workspace-wide fmt, clippy, build', `${r.vsWorkspace.toFixed(2)}×`, s(ws), '< 1×'],
    [
      'next `cargo build --profile dev-fast -p <crate>` after the hook (parallel)',
      `${s(r.nextBuild.parallel)}, ${crates(r.nextBuild.compiled.parallel)}`,
      `after single-pass: ${s(r.nextBuild.singlePass)}, ${crates(r.nextBuild.compiled['single-pass'])}; after separate: ${s(r.nextBuild.separate)}`,
      'nothing compiled',
    ],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchPreCommit({ rounds: Number(process.argv[2] ?? 7), crates: Number(process.argv[3] ?? 50) });
  console.log(JSON.stringify(r, null, 2));
  for (const row of rows(r)) console.log(row.join(' | '));
}
