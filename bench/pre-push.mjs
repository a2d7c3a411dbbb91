// Benchmark of the pre-push full check on a generated 30-crate Loom-shaped workspace:
// cold (no private checkout, no target folder, no cache), warm (one crate changed since the last
// run) and a cache hit (the same tree again). Each figure is the median of `runs` timed runs of
// `loom-guard pre-push` fed the ref line git would give, for a branch that is not checked out, so
// the private checkout is used every time. The floor it is compared with: the four cargo commands
// run by hand, cold, in a fresh export of the same commit.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv, CLI, median, ROOT, tempDir } from './lib.mjs';

const CARGO_STEPS = [
  ['fmt', '--all', '--', '--check'],
  ['clippy', '--workspace', '--', '-D', 'warnings'],
  ['build', '--workspace'],
  ['test', '--workspace'],
];

function sh(cmd, args, cwd, input, extraEnv = {}) {
  const env = benchEnv();
  for (const key of ['CARGO_TARGET_DIR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE']) delete env[key];
  Object.assign(env, extraEnv);
  const r = spawnSync(cmd, args, { cwd, env, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: r.stdout ?? '' };
}

function git(cwd, ...args) {
  const r = sh('git', args, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.out}`);
  return r.stdout.trim();
}

function bareCargoCold(repo, rev) {
  const dir = tempDir('loom-guard-bench-bare-');
  try {
    const tar = spawnSync('git', ['archive', rev], { cwd: repo, maxBuffer: 256 << 20 });
    spawnSync('tar', ['-x', '-C', dir], { input: tar.stdout });
    const started = performance.now();
    for (const args of CARGO_STEPS) {
      const r = sh('cargo', args, dir, undefined, { CARGO_TARGET_DIR: join(dir, 'target') });
      if (r.code !== 0) throw new Error(`cargo ${args.join(' ')} failed: ${r.out}`);
    }
    return performance.now() - started;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPrePush({ crates = 30, runs = 3, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const scaffold = await import(join(ROOT, 'dist/scaffold.js'));
  const dir = tempDir('loom-guard-bench-push-');
  try {
    const spec = scaffold.loomWorkspace(crates, await scaffold.readMigrations(join(ROOT, 'migrations')));
    for (const [path, content] of scaffold.workspaceFiles(spec)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '--no-verify', '-m', 'workspace');
    git(dir, 'branch', 'pushed');
    const zero = '0'.repeat(40);
    const commonDir = git(dir, 'rev-parse', '--path-format=absolute', '--git-common-dir');

    const timed = (label) => {
      const sha = git(dir, 'rev-parse', 'pushed');
      const started = performance.now();
      const r = sh(process.execPath, [CLI, 'pre-push', 'origin', 'bench'], dir, `refs/heads/pushed ${sha} refs/heads/pushed ${zero}\n`);
      const ms = performance.now() - started;
      if (r.code !== 0) throw new Error(`${label}: pre-push failed:\n${r.out}`);
      log(`  ${label}: ${(ms / 1000).toFixed(2)}s${/\(cached\)/.test(r.out) ? ' (cached)' : ''}`);
      return { ms, out: r.out };
    };

    // A commit on the branch that is not checked out, touching one leaf crate (its tree is new).
    let edits = 0;
    const changeOneCrate = () => {
      edits += 1;
      git(dir, 'checkout', '-q', 'pushed');
      const lib = join(dir, 'crates/loom-crate-05/src/lib.rs');
      writeFileSync(lib, `${readFileSync(lib, 'utf8')}\npub fn bench_${edits}() -> u64 {\n    ${edits}\n}\n`);
      git(dir, 'commit', '-q', '--no-verify', '-am', `bench edit ${edits}`);
      git(dir, 'checkout', '-q', 'main');
    };

    const cold = [];
    const warm = [];
    const cached = [];
    const bare = [];
    for (let i = 0; i < runs; i++) {
      rmSync(join(commonDir, 'loom-guard'), { recursive: true, force: true });
      changeOneCrate();
      cold.push(timed(`cold ${i + 1}`).ms);
    }
    for (let i = 0; i < runs; i++) {
      changeOneCrate();
      warm.push(timed(`warm ${i + 1}`).ms);
    }
    for (let i = 0; i < runs; i++) {
      const r = timed(`cache hit ${i + 1}`);
      if (!/\(cached\)/.test(r.out)) throw new Error(`cache hit ${i + 1} was not cached:\n${r.out}`);
      cached.push(r.ms);
    }
    for (let i = 0; i < runs; i++) {
      bare.push(bareCargoCold(dir, 'pushed'));
      log(`  bare cargo, cold ${i + 1}: ${(bare[i] / 1000).toFixed(2)}s`);
    }
    return {
      name: 'pre-push full check',
      crates,
      runs,
      coldMs: Math.round(median(cold)),
      warmMs: Math.round(median(warm)),
      cacheHitMs: Math.round(median(cached)),
      bareCargoColdMs: Math.round(median(bare)),
      samples: { cold: cold.map(Math.round), warm: warm.map(Math.round), cacheHit: cached.map(Math.round), bareCargoCold: bare.map(Math.round) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rows for bench/run.mjs: measurement, value, compared with, target. */
export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  return [
    [`pre-push full check, cold (${r.crates} crates)`, s(r.coldMs), `the four cargo commands by hand, cold: ${s(r.bareCargoColdMs)}`, ''],
    ['pre-push full check, warm (one crate changed)', s(r.warmMs), `cold ${s(r.coldMs)}`, 'incremental, not a cold build'],
    ['pre-push full check, cache hit (same tree)', s(r.cacheHitMs), `warm ${s(r.warmMs)}`, 'no cargo run'],
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchPrePush({ runs: Number(process.env.BENCH_RUNS ?? 3) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
