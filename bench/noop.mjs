// (a) No-op overhead: a README-only `git commit` with each tool's pre-commit hook, minus the same
// commit with no hook at all, in a Loom-sized (50-crate) workspace. Peers get one no-op hook each.
import { symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, BENCH_BIN, benchEnv, CLI, median, PEERS, ROOT, run, tempDir, timed } from './lib.mjs';

const scaffold = await import(join(ROOT, 'dist/scaffold.js'));


async function makeRepo(name, migrations) {
  const dir = join(tempDir(), name);
  run('git', ['init', '-q', '-b', 'main', dir]);
  await scaffold.writeFiles(dir, scaffold.workspaceFiles(scaffold.loomWorkspace(50, migrations)));
  writeFileSync(join(dir, 'README.md'), '# bench\n');
  run('git', ['add', '-A'], { cwd: dir });
  run('git', ['commit', '-q', '--no-verify', '-m', 'initial'], { cwd: dir });
  return dir;
}

function linkBenchModules(dir) {
  symlinkSync(join(PEERS, 'node_modules'), join(dir, 'node_modules'));
  run('git', ['config', 'core.excludesFile', '/dev/null'], { cwd: dir });
  writeFileSync(join(dir, '.git/info/exclude'), 'node_modules\n');
}

const SETUP = {
  none: () => {},
  'loom-guard': (dir) => {
    run(process.execPath, [CLI, 'install'], { cwd: dir });
    // As in a repository someone works in: cargo has run once, so its dep-info shows which files
    // outside the crates are read (until then every such file hands over to Node).
    run('cargo', ['check', '--workspace', '--offline', '--quiet'], { cwd: dir });
    writeFileSync(join(dir, '.git/info/exclude'), 'target\n');
    const r = run(process.execPath, [CLI, 'refresh-shim'], { cwd: dir });
    if (!/dep-info complete/.test(r)) throw new Error(`bench: the shim's dep-info is not complete: ${r}`);
  },
  'husky + lint-staged': (dir) => {
    linkBenchModules(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'b', private: true, 'lint-staged': { '*.rs': 'true' } }));
    run(join(BENCH_BIN, 'husky'), [], { cwd: dir });
    writeFileSync(join(dir, '.husky/pre-commit'), 'npx lint-staged\n');
    run('git', ['add', '-A'], { cwd: dir });
    run('git', ['commit', '-q', '--no-verify', '-m', 'husky'], { cwd: dir });
  },
  lefthook: (dir) => {
    linkBenchModules(dir);
    writeFileSync(join(dir, 'lefthook.yml'), 'pre-commit:\n  commands:\n    noop:\n      glob: "*.rs"\n      run: "true"\n');
    run(join(BENCH_BIN, 'lefthook'), ['install'], { cwd: dir });
    run('git', ['add', '-A'], { cwd: dir });
    run('git', ['commit', '-q', '--no-verify', '-m', 'lefthook'], { cwd: dir });
  },
  prek: (dir) => {
    linkBenchModules(dir);
    writeFileSync(
      join(dir, '.pre-commit-config.yaml'),
      'repos:\n  - repo: local\n    hooks:\n      - id: noop\n        name: noop\n        entry: "true"\n        language: system\n        files: \\.rs$\n',
    );
    run(join(BENCH_BIN, 'prek'), ['install'], { cwd: dir });
    run('git', ['add', '-A'], { cwd: dir });
    run('git', ['commit', '-q', '--no-verify', '-m', 'prek'], { cwd: dir });
  },
};

export async function benchNoop({ rounds = 21 } = {}) {
  const migrations = await scaffold.readMigrations(join(ROOT, 'migrations'));
  const dirs = {};
  for (const name of Object.keys(SETUP)) {
    dirs[name] = await makeRepo(name.replace(/\W+/g, '-'), migrations);
    SETUP[name](dirs[name]);
  }
  const env = benchEnv({ PATH: `${BENCH_BIN}:${process.env.PATH}` });
  const commit = (name) => (i) => {
    const dir = dirs[name];
    writeFileSync(join(dir, 'README.md'), `# bench ${i}\n`);
    run('git', ['add', 'README.md'], { cwd: dir });
    const t = timed('git', ['commit', '-q', '-m', `readme ${i}`], { cwd: dir, env });
    return t.ms;
  };
  const contenders = Object.fromEntries(Object.keys(SETUP).map((n) => [n, commit(n)]));
  // The floor the no-op path is held to: the one git process it must run.
  contenders['bare git diff --cached --name-only'] = () => {
    writeFileSync(join(dirs.none, 'README.md'), '# staged\n');
    run('git', ['add', 'README.md'], { cwd: dirs.none });
    const t = timed('git', ['diff', '--cached', '--name-only'], { cwd: dirs.none, env }).ms;
    run('git', ['reset', '-q', 'README.md'], { cwd: dirs.none });
    run('git', ['checkout', '-q', 'README.md'], { cwd: dirs.none });
    return t;
  };
  // Warm-up round, not counted.
  alternate(contenders, 2);
  const samples = alternate(contenders, rounds);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const base = medians.none;
  const overhead = Object.fromEntries(Object.keys(SETUP).filter((k) => k !== 'none').map((k) => [k, medians[k] - base]));
  const floor = medians['bare git diff --cached --name-only'];
  return { rounds, medians, overhead, floor, ratio: overhead['loom-guard'] / floor };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchNoop({ rounds: Number(process.argv[2] ?? 21) });
  console.log(JSON.stringify(r, null, 2));
}

/** Table rows for bench/run.mjs. */
export function rows(r) {
  const out = [];
  for (const [name, ms] of Object.entries(r.overhead)) {
    out.push([`no-op commit overhead: ${name}`, `${ms.toFixed(1)} ms`, `no hook ${r.medians.none.toFixed(1)} ms`, name === 'loom-guard' ? 'lowest' : '']);
  }
  out.push([
    'loom-guard no-op overhead / bare `git diff --cached --name-only`',
    `${r.ratio.toFixed(2)}×`,
    `${r.floor.toFixed(1)} ms`,
    '≤ 1.5×',
  ]);
  return out;
}
