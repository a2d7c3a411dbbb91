// (b) The pre-commit cargo checks, warm, for a one-crate change in a generated Loom-sized workspace:
// `loom-guard pre-commit` (what the hook runs) against the same three cargo commands run by hand
// on that crate, and against the workspace-wide commands. Every contender first makes a fresh
// one-crate edit, so each measures the same warm incremental work; rounds alternate.
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, benchEnv, CLI, median, ROOT, run, tempDir, timed } from './lib.mjs';

import { loomSizedRepo } from './workspace.mjs';

const CRATE = 'loom-crate-05';
const LIB = `crates/${CRATE}/src/lib.rs`;

export async function benchPreCommit({ rounds = 7, crates = 50, items = 120 } = {}) {
  const { dir } = await loomSizedRepo(crates, { items });
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
  const contenders = {
    'loom-guard pre-commit': () => {
      touch();
      const t = timed(process.execPath, [CLI, 'pre-commit'], { cwd: dir, env });
      if (!t.out.includes(`1 crate (${CRATE})`)) throw new Error(`pre-commit did not check ${CRATE} alone:\n${t.out}`);
      return t.ms;
    },
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
  // Warm-up: builds everything once (not counted).
  alternate(contenders, 1);
  const samples = alternate(contenders, rounds);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const hook = medians['loom-guard pre-commit'];
  return {
    rounds,
    crates,
    samples,
    medians,
    vsHand: hook / medians['same 3 cargo commands by hand'],
    overheadMs: hook - medians['same 3 cargo commands by hand'],
    vsWorkspace: hook / medians['workspace-wide commands'],
  };
}

/** Table rows for bench/run.mjs. */
export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const hand = r.medians['same 3 cargo commands by hand'];
  const ws = r.medians['workspace-wide commands'];
  return [
    [`pre-commit, one-crate change, ${r.crates} crates, warm`, s(r.medians['loom-guard pre-commit']), '', ''],
    ['pre-commit / same 3 cargo commands on that crate by hand', `${r.vsHand.toFixed(2)}× (+${Math.round(r.overheadMs)} ms)`, s(hand), '≤ 1.15×'],
    ['pre-commit / workspace-wide fmt, clippy, build', `${r.vsWorkspace.toFixed(2)}×`, s(ws), '< 1×'],
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchPreCommit({ rounds: Number(process.argv[2] ?? 7), crates: Number(process.argv[3] ?? 50) });
  console.log(JSON.stringify(r, null, 2));
  for (const row of rows(r)) console.log(row.join(' | '));
}
