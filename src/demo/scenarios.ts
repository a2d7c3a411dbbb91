import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../proc.js';
import { cargoLock, CORE, loomWorkspace, readMigrations, SERVER, workspaceFiles, writeFiles, type WorkspaceSpec } from '../scaffold.js';

/*
 * The demo's scenarios: each is a real git operation through the installed hooks in a throwaway
 * Loom-shaped repository, with the outcome it must have.
 */

export interface DemoRepo {
  dir: string;
  remote: string;
  spec: WorkspaceSpec;
  env: NodeJS.ProcessEnv;
  hasCargo: boolean;
}

export interface Scenario {
  title: string;
  /** The outcome it must have; a function where it depends on the machine (cargo or not). */
  expect: 'pass' | 'block' | ((repo: DemoRepo) => 'pass' | 'block');
  /** A pattern the hook's output must contain, proving it passed or blocked for the right reason. */
  shows?: RegExp | ((repo: DemoRepo) => RegExp);
  needsCargo: boolean;
  act: (repo: DemoRepo) => Promise<RunResult>;
  /** Put the repository back the way the next scenario expects it. */
  after?: (repo: DemoRepo) => Promise<void>;
}

const cliPath = fileURLToPath(new URL('../cli.js', import.meta.url));

export async function sh(repo: DemoRepo, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(command, args, { cwd: repo.dir, env: { ...repo.env, ...env } });
}

async function ok(repo: DemoRepo, command: string, args: string[]): Promise<void> {
  const r = await sh(repo, command, args);
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.all.trim()}`);
}

export const loomGuard = (repo: DemoRepo, args: string[], env: NodeJS.ProcessEnv = {}) =>
  sh(repo, process.execPath, [cliPath, ...args], env);

async function commit(repo: DemoRepo, message: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  await ok(repo, 'git', ['add', '-A']);
  return sh(repo, 'git', ['commit', '-q', '-m', message], env);
}

async function discard(repo: DemoRepo): Promise<void> {
  await ok(repo, 'git', ['reset', '-q', '--hard']);
  await ok(repo, 'git', ['clean', '-qfd']);
}

async function edit(repo: DemoRepo, path: string, content: string): Promise<void> {
  await writeFiles(repo.dir, new Map([[path, content]]));
}

const clippyWarning = `pub fn compute(n: u64) -> u64 {
    loom_common_core::add(n, 1)
}

pub fn total(values: &Vec<u64>) -> u64 {
    values.iter().sum()
}
`;

const clippyClean = `pub fn compute(n: u64) -> u64 {
    loom_common_core::add(n, 1)
}

pub fn total(values: &[u64]) -> u64 {
    values.iter().sum()
}
`;

export const SCENARIOS: Scenario[] = [
  {
    title: 'a clean change to one crate is committed',
    expect: 'pass',
    needsCargo: true,
    shows: /clippy/,
    act: async (repo) => {
      await edit(repo, 'crates/loom-crate-01/src/lib.rs', `pub fn compute(n: u64) -> u64 {\n    loom_common_core::add(n, 2)\n}\n`);
      return commit(repo, 'loom-crate-01: add two');
    },
  },
  {
    title: 'a new crate changes Cargo.lock but Cargo.nix is not regenerated',
    expect: 'block',
    needsCargo: false,
    shows: /nix-sync/,
    act: async (repo) => {
      const spec: WorkspaceSpec = { ...repo.spec, crates: [...repo.spec.crates, { name: 'loom-metrics', deps: [CORE] }] };
      const files = workspaceFiles(spec);
      for (const path of ['crates/loom-metrics/Cargo.toml', 'crates/loom-metrics/src/lib.rs']) await edit(repo, path, files.get(path) as string);
      await edit(repo, 'Cargo.lock', cargoLock(spec));
      return commit(repo, 'add loom-metrics');
    },
    after: discard,
  },
  {
    title: 'two migrations share the number 010',
    expect: 'block',
    needsCargo: false,
    shows: /migrations/,
    act: async (repo) => {
      await edit(repo, `crates/${SERVER}/migrations/010_add_clips.sql`, 'CREATE TABLE IF NOT EXISTS clips (id INTEGER PRIMARY KEY);\n');
      // Stamp Cargo.nix for the new file, so what blocks is the numbering, not the stamp.
      await loomGuard(repo, ['nix', 'update']);
      return commit(repo, 'add clips migration');
    },
    after: discard,
  },
  {
    title: 'a clippy warning (&Vec<u64> parameter) is blocked',
    expect: 'block',
    needsCargo: true,
    shows: /clippy/,
    act: async (repo) => {
      await edit(repo, 'crates/loom-crate-02/src/lib.rs', clippyWarning);
      return commit(repo, 'loom-crate-02: total');
    },
  },
  {
    title: 'LOOM_GUARD_SKIP=clippy lets that commit through, and says so',
    expect: 'pass',
    needsCargo: true,
    shows: /skipped clippy/,
    act: (repo) => commit(repo, 'loom-crate-02: total (clippy skipped)', { LOOM_GUARD_SKIP: 'clippy' }),
  },
  {
    title: 'the warning is fixed in the next commit',
    expect: 'pass',
    needsCargo: true,
    act: async (repo) => {
      await edit(repo, 'crates/loom-crate-02/src/lib.rs', clippyClean);
      return commit(repo, 'loom-crate-02: take a slice');
    },
  },
  {
    title: 'loom-guard doctor checks the set-up (the hooks are healthy; what this machine lacks, it says with a fix)',
    expect: 'pass',
    needsCargo: false,
    shows: (repo) => (repo.hasCargo ? /pre-commit\s+pre-commit installed/ : /cargo not found/),
    act: async (repo) => {
      const text = await loomGuard(repo, ['doctor']);
      // A ✖ about this machine rather than the repository (no cargo, a Nix with flakes off for
      // the generator) is doctor doing its job here: the demo passes when only those are ✖.
      const { findings } = JSON.parse((await loomGuard(repo, ['doctor', '--json'])).stdout.toString('utf8')) as { findings: Array<{ id: string; status: string }> };
      const machine = new Set(['cargo', 'rustfmt', 'clippy', 'toolchain', 'generator']);
      const repository = findings.filter((f) => f.status === 'error' && !machine.has(f.id));
      return { ...text, exitCode: repository.length ? 1 : 0 };
    },
  },
  {
    title: 'git push runs the full check (fmt, clippy, build, test) and lands',
    expect: 'pass',
    needsCargo: true,
    shows: /test/,
    act: (repo) => sh(repo, 'git', ['push', '-q', 'origin', 'trunk']),
  },
  {
    title: 'pushing the same tree again is answered from the cache',
    expect: 'pass',
    needsCargo: true,
    shows: /cached/,
    act: async (repo) => {
      await ok(repo, 'git', ['commit', '-q', '--amend', '--no-verify', '-m', 'loom-crate-02: take a slice (reworded)']);
      return sh(repo, 'git', ['push', '-q', '--force', 'origin', 'trunk']);
    },
  },
];

/** Builds the throwaway repository: workspace, embedded migrations, Cargo.nix, bare remote, hooks. */
export async function buildDemoRepo(base: string, hasCargo: boolean): Promise<DemoRepo> {
  const dir = join(base, 'loom');
  const remote = join(base, 'remote.git');
  const migrations = await readMigrations(fileURLToPath(new URL('../../migrations/', import.meta.url)));
  const spec = loomWorkspace(4, migrations);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_AUTHOR_NAME: 'loom-guard demo',
    GIT_AUTHOR_EMAIL: 'demo@loom-guard.invalid',
    GIT_COMMITTER_NAME: 'loom-guard demo',
    GIT_COMMITTER_EMAIL: 'demo@loom-guard.invalid',
    // Our own CARGO_TARGET_DIR: never the user's, removed with the demo.
    CARGO_TARGET_DIR: join(base, 'target'),
    // And our own cache folder: the pre-push private checkout lives there, removed with the demo.
    XDG_CACHE_HOME: join(base, 'cache'),
    NO_COLOR: '1',
  };
  for (const key of ['LOOM_GUARD_SKIP', 'SKIP_SIMPLE_GIT_HOOKS', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE', 'FORCE_COLOR']) delete env[key];
  const repo: DemoRepo = { dir, remote, spec, env, hasCargo };
  await run('git', ['init', '-q', '--bare', '-b', 'trunk', remote], { env });
  await run('git', ['init', '-q', '-b', 'trunk', dir], { env });
  await writeFiles(dir, workspaceFiles(spec));
  await ok(repo, 'git', ['config', 'commit.gpgsign', 'false']);
  await ok(repo, 'git', ['add', '-A']);
  await ok(repo, 'git', ['commit', '-q', '--no-verify', '-m', 'A Loom-shaped workspace']);
  await ok(repo, 'git', ['remote', 'add', 'origin', remote]);
  await ok(repo, 'git', ['push', '-q', '--no-verify', '-u', 'origin', 'trunk']);
  const installed = await loomGuard(repo, ['install']);
  if (installed.exitCode !== 0) throw new Error(`loom-guard install: ${installed.all.trim()}`);
  return repo;
}

export async function removeDemo(base: string): Promise<void> {
  await rm(base, { recursive: true, force: true });
}
