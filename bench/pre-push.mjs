// The pre-push full check after a one-crate change in the Loom-sized workspace (50 crates, layered:
// loom-crate-05 has 8 reverse dependencies), warm: `loom-guard pre-push` with pushScope "affected"
// and "workspace", against the four workspace-wide cargo commands run by hand in a clone with its
// own target folder. Every contender first makes a fresh edit of the same crate; rounds alternate.
// The hook checks a branch that is not checked out, so the private checkout is used every time.
// Then a cache hit: the same tree pushed again.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alternate, benchEnv, CLI, median } from './lib.mjs';
import { loomSizedRepo } from './workspace.mjs';

const CRATE = 'loom-crate-05';
const LIB = `crates/${CRATE}/src/lib.rs`;
const CARGO_STEPS = [
  ['fmt', '--all', '--', '--check'],
  ['clippy', '--workspace', '--', '-D', 'warnings'],
  ['build', '--workspace'],
  ['test', '--workspace'],
];

function sh(cmd, args, cwd, input) {
  const env = benchEnv();
  for (const key of ['CARGO_TARGET_DIR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE']) delete env[key];
  const r = spawnSync(cmd, args, { cwd, env, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: r.stdout ?? '' };
}

function git(cwd, ...args) {
  const r = sh('git', args, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.out}`);
  return r.stdout.trim();
}

export async function benchPrePush({ rounds = 5, crates = 50, items = 40, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const { dir } = await loomSizedRepo(crates, { items });
  const hand = `${dir}-hand`;
  try {
    git(dir, 'branch', 'pushed');
    git(dir, 'clone', '-q', dir, hand);
    const zero = '0'.repeat(40);
    const original = readFileSync(join(dir, LIB), 'utf8');
    let edits = 0;
    const edit = (where) => {
      edits += 1;
      writeFileSync(join(where, LIB), `${original}\npub fn bench_${edits}() -> u64 {\n    ${edits}\n}\n`);
    };
    // A commit on the branch that is not checked out, touching one crate (its tree is new).
    const commitEdit = () => {
      git(dir, 'checkout', '-q', 'pushed');
      edit(dir);
      git(dir, 'commit', '-q', '--no-verify', '-am', `bench edit ${edits}`);
      git(dir, 'checkout', '-q', 'main');
    };
    // An update of the branch from the commit pushed last: the per-commit rules see the new commit only.
    let last = zero;
    const prePush = (label, expect) => {
      const sha = git(dir, 'rev-parse', 'pushed');
      const started = performance.now();
      const r = sh(process.execPath, [CLI, 'pre-push', 'origin', 'bench'], dir, `refs/heads/pushed ${sha} refs/heads/pushed ${last}\n`);
      last = sha;
      const ms = performance.now() - started;
      if (r.code !== 0) throw new Error(`${label}: pre-push failed:\n${r.out}`);
      if (expect && !expect.test(r.out)) throw new Error(`${label}: expected ${expect}:\n${r.out}`);
      log(`  ${label}: ${(ms / 1000).toFixed(2)}s`);
      return { ms, out: r.out };
    };
    // pushScope "workspace" is what a push with no passed tree in the cache does: the workspace
    // contender runs with the cache set aside (and put back), so both share one warm target and
    // the affected contender keeps its passed trees. (A config change would change the cache's
    // fingerprint, which drops the other contender's records.)
    const cacheFile = join(dir, '.git/loom-guard/push-cache.json');
    let first = true;
    const contenders = {
      'pre-push, pushScope affected': () => {
        commitEdit();
        // The very first run has no tree that passed: it checks the workspace.
        const expect = first ? null : /9 crates \(.*\) affected since/;
        first = false;
        return prePush('affected', expect).ms;
      },
      'pre-push, pushScope workspace': () => {
        commitEdit();
        const saved = existsSync(cacheFile) ? readFileSync(cacheFile) : null;
        rmSync(cacheFile, { force: true });
        try {
          return prePush('workspace', /✔\s+test\s+workspace/).ms;
        } finally {
          if (saved) writeFileSync(cacheFile, saved);
        }
      },
      'four workspace-wide commands by hand': () => {
        edit(hand);
        const started = performance.now();
        for (const args of CARGO_STEPS) {
          const r = sh('cargo', args, hand);
          if (r.code !== 0) throw new Error(`cargo ${args.join(' ')} failed: ${r.out}`);
        }
        const ms = performance.now() - started;
        log(`  by hand: ${(ms / 1000).toFixed(2)}s`);
        return ms;
      },
    };
    alternate(contenders, 1); // warm-up: cold builds, not counted
    const samples = alternate(contenders, rounds);
    const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    // The last contender may have been the workspace one, whose record was set aside: push once
    // with the cache in place (not counted), then the same tree again.
    prePush('record');
    const cached = [];
    for (let i = 0; i < 3; i++) cached.push(prePush(`cache hit ${i + 1}`, /\(cached\)/).ms);
    const handMs = medians['four workspace-wide commands by hand'];
    return {
      name: 'pre-push full check',
      crates,
      rounds,
      samples,
      medians,
      cacheHitMs: median(cached),
      affectedVsHand: medians['pre-push, pushScope affected'] / handMs,
      workspaceVsHand: medians['pre-push, pushScope workspace'] / handMs,
    };
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
    rmSync(hand, { recursive: true, force: true });
  }
}

/** Rows for bench/run.mjs: measurement, value, compared with, target. */
export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const hand = r.medians['four workspace-wide commands by hand'];
  const affected = r.medians['pre-push, pushScope affected'];
  const workspace = r.medians['pre-push, pushScope workspace'];
  return [
    [`pre-push after a one-crate change (9 of ${r.crates} crates affected), warm, \`pushScope\`: affected`, s(affected), `workspace: ${s(workspace)}`, ''],
    ['pre-push (affected) / the four workspace-wide cargo commands by hand', `${r.affectedVsHand.toFixed(2)}×`, s(hand), '≤ 0.5×'],
    ['pre-push (workspace) / the four workspace-wide cargo commands by hand', `${r.workspaceVsHand.toFixed(2)}×`, s(hand), ''],
    ['pre-push, cache hit (same tree)', s(r.cacheHitMs), `affected ${s(affected)}`, 'no cargo run'],
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchPrePush({ rounds: Number(process.env.BENCH_RUNS ?? 5) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const row of rows(result)) process.stdout.write(`${row.join(' | ')}\n`);
}
