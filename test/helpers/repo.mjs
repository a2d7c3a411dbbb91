// Test helpers: real git repositories in temporary folders, driven through real git and the built CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli.js');
/**
 * How loom-guard's messages spell a command in the tests: loom-guard is neither on PATH nor in the
 * test repository's node_modules, so a pasteable line names this CLI (src/invocation.ts).
 */
export const LG = `node ${CLI}`;
// The chosen corpus: ../shared/corpus when present, else test/fixtures/corpus (see corpus.mjs).
export { CORPUS } from './corpus.mjs';

/**
 * One cache folder per test process (the pre-push private checkout lives in the user cache
 * folder): tests never write into the real home, and it goes when the process ends.
 */
export const TEST_CACHE = mkdtempSync(join(tmpdir(), 'loom-guard-test-cache-'));
process.on('exit', () => rmSync(TEST_CACHE, { recursive: true, force: true }));

/** An environment without the caller's skip variables or colours, with a fixed git identity. */
export function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const key of ['LOOM_GUARD_SKIP', 'SKIP_SIMPLE_GIT_HOOKS', 'FORCE_COLOR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE']) delete env[key];
  Object.assign(env, {
    NO_COLOR: '1',
    GIT_AUTHOR_NAME: 'Test',
    GIT_AUTHOR_EMAIL: 'test@example.invalid',
    GIT_COMMITTER_NAME: 'Test',
    GIT_COMMITTER_EMAIL: 'test@example.invalid',
    GIT_CONFIG_NOSYSTEM: '1',
    XDG_CACHE_HOME: TEST_CACHE,
  });
  return { ...env, ...extra };
}

/** Runs a command with an argument array; returns { code, stdout, stderr, out } (out = both). */
export function sh(command, args, { cwd, env, input } = {}) {
  const r = spawnSync(command, args, { cwd, env: env ?? cleanEnv(), input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? 128, signal: r.signal, stdout: r.stdout, stderr: r.stderr, out: r.stdout + r.stderr };
}

export function tempDir(prefix = 'loom-guard-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export class Repo {
  constructor(dir) {
    this.dir = dir;
  }

  static init({ branch = 'main' } = {}) {
    const dir = tempDir();
    const repo = new Repo(dir);
    repo.git('init', '-q', '-b', branch);
    repo.git('config', 'commit.gpgsign', 'false');
    return repo;
  }

  /** git with an argument array; throws on a non-zero exit unless allowFail. */
  git(...args) {
    const r = sh('git', args, { cwd: this.dir });
    if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}): ${r.out}`);
    return r.stdout;
  }

  /** git allowed to fail: returns { code, out }. */
  tryGit(args, { env, input } = {}) {
    return sh('git', args, { cwd: this.dir, env: env ? cleanEnv(env) : undefined, input });
  }

  /** The installed CLI: node dist/cli.js <args> in this repo. */
  lg(args, { env, input } = {}) {
    return sh(process.execPath, [CLI, ...args], { cwd: this.dir, env: cleanEnv(env), input });
  }

  write(path, content) {
    const full = join(this.dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }

  writeAll(files) {
    for (const [path, content] of files instanceof Map ? files : Object.entries(files)) this.write(path, content);
  }

  read(path) {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  exists(path) {
    return existsSync(join(this.dir, path));
  }

  /** Stages everything and commits through the real hooks; returns { code, out }. */
  commit(message, { env, all = true } = {}) {
    if (all) this.git('add', '-A');
    return this.tryGit(['commit', '-q', '-m', message], { env });
  }

  /** Commits without hooks (setting up history). */
  commitNoVerify(message) {
    this.git('add', '-A');
    this.git('commit', '-q', '--no-verify', '-m', message);
  }

  install() {
    const r = this.lg(['install']);
    if (r.code !== 0) throw new Error(`install failed: ${r.out}`);
    return r;
  }

  remove() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
