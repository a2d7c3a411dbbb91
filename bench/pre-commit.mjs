// (b) The pre-commit cargo checks, warm, for a one-crate change in a generated Loom-sized workspace:
// `loom-guard pre-commit` (what the hook runs) in the three lint modes, against the same three cargo
// commands run by hand on that crate, and against the workspace-wide commands. Every contender
// first makes a fresh one-crate edit, so each measures the same warm incremental work; rounds
// alternate. After each hook run, the next plain `cargo build --profile dev-fast -p <crate>` is
// timed too, with the crates it compiled: the single pass builds through clippy-driver, and the
// wrapper is part of cargo's fingerprint, so that build is not free the way it is after the
// parallel (clippy in its own profile beside a plain build) or separate modes.
//
// Then (c) the case where the Rust group and lint-staged share one staged tree (one hide, one
// journal, one restore): a partly staged .rs file, a partly staged .js file a lint-staged fixer
// rewrites, and an untracked file. With LOOM_GUARD_BENCH_BASELINE=<another build's dist/cli.js>
// (say main's), that build runs beside this one, interleaved, in (b)'s parallel row and in (c).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const baseline = process.env.LOOM_GUARD_BENCH_BASELINE || null;
  let warming = true;
  const hook = (lint, cli = CLI) => () => {
    // Staged, so the checks have no untracked file to set aside (the hand runs have none either).
    writeFileSync(join(dir, '.loom-guard.json'), JSON.stringify({ lint }));
    run('git', ['add', '.loom-guard.json'], { cwd: dir });
    touch();
    const t = timed(process.execPath, [cli, 'pre-commit'], { cwd: dir, env });
    if (cli !== CLI) return t.ms;
    // The warm-up's first run has no dep-info yet and may widen to the workspace (cargo/affected.ts).
    if (!warming && !t.out.includes(`1 crate (${CRATE})`)) throw new Error(`pre-commit did not check ${CRATE} alone:\n${t.out}`);
    const next = timed('cargo', ['build', '--profile', 'dev-fast', ...p], { cwd: dir, env });
    nextBuild[lint].push(next.ms);
    nextCompiled[lint] = Math.max(nextCompiled[lint], (next.out.match(/^\s*Compiling /gm) ?? []).length);
    return t.ms;
  };
  const contenders = {
    'loom-guard pre-commit (parallel)': hook('parallel'),
    ...(baseline ? { 'baseline pre-commit (parallel)': hook('parallel', baseline) } : {}),
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
  warming = false;
  for (const k of Object.keys(nextBuild)) {
    nextBuild[k].length = 0;
    nextCompiled[k] = 0;
  }
  const samples = alternate(contenders, rounds);
  Object.assign(samples, shared(dir, env, rounds, baseline));
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
    baseline,
  };
}

const APP = 'web/src/app.js';
const SHARED = 'pre-commit, Rust group + lint-staged fixer, partly staged .rs and .js + an untracked file';

/**
 * (c) The Rust group and lint-staged in one commit on a tree that must be hidden: a partly staged
 * .rs file, a partly staged .js file whose staged text a lint-staged fixer rewrites, an untracked
 * file. Returns name -> samples for this build (and the baseline's, interleaved).
 */
function shared(dir, env, rounds, baseline) {
  const files = {
    'web/package.json': `${JSON.stringify({ name: 'web', private: true, 'lint-staged': { '*.js': ['node tools/fix.mjs'] } }, null, 2)}\n`,
    'web/tools/fix.mjs': "import { readFileSync, writeFileSync } from 'node:fs';\nfor (const f of process.argv.slice(2)) {\n  const t = readFileSync(f, 'utf8');\n  const u = t.replace(/\\bvar\\b/g, 'let');\n  if (u !== t) writeFileSync(f, u);\n}\n",
    [APP]: 'let a = 0;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  writeFileSync(join(dir, '.loom-guard.json'), JSON.stringify({ lint: 'parallel' }));
  run('git', ['add', '-A'], { cwd: dir });
  run('git', ['commit', '-q', '--no-verify', '-m', 'web package'], { cwd: dir });
  const original = readFileSync(join(dir, LIB), 'utf8');
  let edit = 0;
  const contender = (cli) => () => {
    edit++;
    const stagedLib = `${original}\npub fn shared_${edit}(n: u64) -> u64 {\n    n + ${edit}\n}\n`;
    writeFileSync(join(dir, LIB), stagedLib);
    writeFileSync(join(dir, APP), `var a = ${edit};\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n`);
    run('git', ['add', LIB, APP], { cwd: dir });
    writeFileSync(join(dir, LIB), `${stagedLib}// unstaged ${edit}\n`);
    writeFileSync(join(dir, APP), `var a = ${edit};\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = ${edit}; // unstaged\n`);
    writeFileSync(join(dir, 'draft.txt'), `untracked ${edit}\n`);
    const t = timed(process.execPath, [cli, 'pre-commit'], { cwd: dir, env });
    if (!/✔ lint-staged .*fixed and staged web\/src\/app\.js/.test(t.out) || !/✔ build/.test(t.out)) throw new Error(`pre-commit did not run both checks:\n${t.out}`);
    if (readFileSync(join(dir, LIB), 'utf8') !== `${stagedLib}// unstaged ${edit}\n`) throw new Error(`pre-commit did not put ${LIB} back`);
    return t.ms;
  };
  const contenders = { [SHARED]: contender(CLI), ...(baseline ? { [`baseline ${SHARED}`]: contender(baseline) } : {}) };
  alternate(contenders, 1);
  return alternate(contenders, rounds);
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
  const base = r.medians['baseline pre-commit (parallel)'];
  const sharedBase = r.medians[`baseline ${SHARED}`];
  const vs = (mine, theirs) => (theirs ? `baseline ${s(theirs)} (${(mine / theirs).toFixed(2)}×)` : '');
  return [
    ...(base ? [['pre-commit (parallel), this build', s(parallel), vs(parallel, base), '']] : []),
    [SHARED, s(r.medians[SHARED]), vs(r.medians[SHARED], sharedBase), ''],
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
