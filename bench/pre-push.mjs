// Benchmark of the pre-push full check on a generated 30-crate Loom-shaped workspace:
// cold (no private checkout, no target folder, no cache), warm (one crate changed since the last
// run) and a cache hit (the same tree again). Each figure is the median of `runs` timed runs of
// `loom-guard pre-push` fed the ref line git would give, on a branch that is not checked out, so
// the private checkout is used every time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');

function env() {
  const e = { ...process.env, NO_COLOR: '1', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };
  for (const key of ['LOOM_GUARD_SKIP', 'SKIP_SIMPLE_GIT_HOOKS', 'CARGO_TARGET_DIR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE']) delete e[key];
  return e;
}

function sh(cmd, args, cwd, input) {
  const r = spawnSync(cmd, args, { cwd, env: env(), input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, out: (r.stdout ?? '') + (r.stderr ?? ''), stdout: r.stdout ?? '' };
}

function git(cwd, ...args) {
  const r = sh('git', args, cwd);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.out}`);
  return r.stdout.trim();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function benchPrePush({ crates = 30, runs = 3, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const scaffold = await import(join(ROOT, 'dist/scaffold.js'));
  const dir = mkdtempSync(join(tmpdir(), 'loom-guard-bench-push-'));
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

    // A commit on the branch that is not checked out, touching one crate (its tree is new).
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
    return {
      name: 'pre-push full check',
      crates,
      runs,
      coldMs: Math.round(median(cold)),
      warmMs: Math.round(median(warm)),
      cacheHitMs: Math.round(median(cached)),
      samples: { cold: cold.map(Math.round), warm: warm.map(Math.round), cacheHit: cached.map(Math.round) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const result = await benchPrePush({ runs });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
