// The staged-tree isolation under fire: SIGINT and SIGTERM to the hook's process group mid-clippy,
// SIGKILL of loom-guard then recovery on the next run, and `git commit -a`. Real git, real cargo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, Repo, ROOT, cleanEnv, sh, tempDir } from './helpers/repo.mjs';
import { scaffold, embeddedMigrations } from './helpers/workspace.mjs';
import { cargoTargetFor, snapshot } from './helpers/snapshot.mjs';

const { leftoverFindings } = await import(join(ROOT, 'dist/isolate/index.js'));

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url) };
const BUILD_RS = readFileSync(new URL('./fixtures/slow-build.rs', import.meta.url), 'utf8');

// A workspace with a crate whose build script waits on a gate file: clippy is "mid-run" for as long
// as the test wants, and the script announces itself by writing <gate>.running.
const spec = scaffold.loomWorkspace(4, await embeddedMigrations());
spec.crates.push({ name: 'loom-slow', deps: [], files: { 'build.rs': BUILD_RS } });
const repo = Repo.init();
repo.writeAll(scaffold.workspaceFiles(spec));
repo.commitNoVerify('initial workspace');
repo.install();
const base = repo.git('rev-parse', 'HEAD').trim();
const gitDir = join(repo.dir, '.git');
const SLOW = 'crates/loom-slow/src/lib.rs';
const LIB1 = 'crates/loom-crate-01/src/lib.rs';
const gates = tempDir('loom-guard-gates-');
let gateCount = 0;

function reset() {
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq');
  repo.git('stash', 'clear');
}

/** Staged change in loom-slow plus every kind of thing the isolation hides. */
function messyState() {
  repo.write(SLOW, repo.read(SLOW) + '\npub fn staged() -> u64 {\n    7\n}\n');
  repo.git('add', SLOW);
  repo.write(SLOW, repo.read(SLOW) + '\npub fn unstaged_on_top() -> u64 {\n    8\n}\n'); // partially staged
  repo.write(LIB1, repo.read(LIB1) + 'not rust at all(\n'); // unstaged edit
  rmSync(join(repo.dir, 'crates/loom-crate-02/src/lib.rs')); // worktree deletion
  repo.write('crates/loom-slow/src/untracked mod ü.rs', 'pub fn u() {}\n');
  repo.write('scratch dir/漢字 notes.txt', 'keep\n');
  repo.write('binary.dat', Buffer.from([0, 255, 1, 254]));
  repo.git('stash', 'store', '-m', 'an unrelated stash', repo.git('commit-tree', '-p', 'HEAD', '-m', 'x', 'HEAD^{tree}').trim());
}

function newGate() {
  const gate = join(gates, `gate-${++gateCount}`);
  writeFileSync(gate, '');
  return gate;
}

/** Starts a process leading its own process group; resolves its exit code when every pipe closed. */
function startDetached(command, args, env) {
  const child = spawn(command, args, { cwd: repo.dir, env: cleanEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { child, done };
}

async function waitFor(predicate, what, ms = 90_000) {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const groupAlive = (pgid) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

test.before.each(reset);

for (const [signal, via] of [
  ['SIGINT', 'git'],
  ['SIGTERM', 'git'],
  ['SIGTERM', 'cli'],
]) {
  test(`${signal} to the ${via === 'git' ? 'git commit' : 'loom-guard pre-commit'} process group mid-clippy restores everything byte for byte`, async () => {
    messyState();
    const before = snapshot(repo.dir);
    const gate = newGate();
    const env = { ...ENV, LOOM_SLOW_GATE: gate };
    const { child, done } =
      via === 'git' ? startDetached('git', ['commit', '-q', '-m', 'interrupted'], env) : startDetached(process.execPath, [CLI, 'pre-commit'], env);
    await waitFor(() => existsSync(`${gate}.running`), 'clippy to reach the slow build script');
    // mid-clippy, the tree shows exactly the index
    assert.not.ok(repo.exists('scratch dir/漢字 notes.txt'), 'untracked file hidden');
    assert.ok(repo.exists('crates/loom-crate-02/src/lib.rs'), 'deleted file shows its index version');
    assert.not.match(repo.read(SLOW), /unstaged_on_top/);
    process.kill(-child.pid, signal);
    const result = await done;
    await waitFor(() => !groupAlive(child.pid), 'the process group to end', 20_000);
    rmSync(gate, { force: true });
    if (via === 'cli') assert.is(result.code, signal === 'SIGINT' ? 130 : 143, result.out);
    else assert.is.not(result.code, 0);
    // It says that the restore happened, not only that it stopped.
    assert.match(result.out, new RegExp(`interrupted \\(${signal}\\): your working tree is back as it was \\(\\d+ hidden items? put back\\); nothing was committed`));
    assert.equal(snapshot(repo.dir), before);
    assert.is(repo.git('rev-parse', 'HEAD').trim(), base);
    assert.not.ok(existsSync(join(gitDir, 'loom-guard/backup')), 'backup removed');
    // cargo must see the restored files as newer than what it built from the index
    const { mtimeMs } = await import('node:fs').then((fs) => fs.statSync(join(repo.dir, SLOW)));
    assert.ok(mtimeMs > Date.now() - 60_000);
  });
}

/** Runs pre-commit, kills the node process with SIGKILL mid-clippy, and ends its cargo children. */
async function killMidRun() {
  const gate = newGate();
  const { child, done } = startDetached(process.execPath, [CLI, 'pre-commit'], { ...ENV, LOOM_SLOW_GATE: gate });
  await waitFor(() => existsSync(`${gate}.running`), 'clippy to reach the slow build script');
  process.kill(child.pid, 'SIGKILL');
  await done.catch(() => {});
  if (groupAlive(child.pid)) process.kill(-child.pid, 'SIGKILL');
  await waitFor(() => !groupAlive(child.pid), 'the orphaned cargo to end', 20_000);
  rmSync(gate, { force: true });
}

test('SIGKILL mid-run: doctor sees the backup, the next run restores it byte for byte', async () => {
  messyState();
  const before = snapshot(repo.dir);
  await killMidRun();
  assert.not.equal(snapshot(repo.dir).files, before.files, 'the tree was left isolated');
  const findings = await leftoverFindings(gitDir);
  assert.is(findings.length, 1);
  assert.is(findings[0].status, 'error');
  assert.match(findings[0].message, /interrupted loom-guard run .* left 5 item\(s\)/);
  assert.match(findings[0].fix, /loom-guard check --staged/);
  const r = repo.lg(['check', '--staged'], { env: ENV });
  assert.match(r.out, /an interrupted run \(pid \d+, .*\) left 5 item\(s\) of your working tree hidden; putting them back/);
  assert.match(r.out, /restored 5 item\(s\)/);
  assert.is(r.code, 0, r.out);
  assert.equal(snapshot(repo.dir), before);
  assert.equal(await leftoverFindings(gitDir), []);
});

test('SIGKILL, then an edit to a hidden file: nothing is overwritten, the old version is set aside with the exact command', async () => {
  messyState();
  const original = repo.read(LIB1);
  const before = snapshot(repo.dir);
  await killMidRun();
  repo.write(LIB1, 'edited after the crash\n');
  const r = repo.lg(['check', '--staged'], { env: ENV });
  assert.match(r.out, /1 file\(s\) changed while loom-guard had them hidden; nothing was overwritten/);
  assert.is(repo.read(LIB1), 'edited after the crash\n', 'the newer edit is kept');
  assert.ok(repo.exists('scratch dir/漢字 notes.txt'), 'the safe entries are back');
  const advice = /To take it back: (rm -r .*)$/m.exec(r.out);
  assert.ok(advice, r.out);
  const findings = await leftoverFindings(gitDir);
  assert.is(findings.length, 1);
  assert.is(findings[0].status, 'warn');
  assert.match(findings[0].fix, /RECOVER\.txt/);
  // the printed command, run as printed, brings the earlier version back: nothing was lost
  assert.is(sh('sh', ['-c', advice[1]], { cwd: repo.dir }).code, 0);
  assert.is(repo.read(LIB1), original);
  assert.equal(snapshot(repo.dir), before);
  rmSync(join(gitDir, 'loom-guard'), { recursive: true, force: true });
});

test('git commit -a checks the working tree it commits (GIT_INDEX_FILE honoured)', () => {
  repo.write(LIB1, repo.read(LIB1) + '\npub fn broken() -> u64 {\n    nope\n}\n');
  repo.write('untracked.txt', 'u\n');
  const before = snapshot(repo.dir);
  const r = repo.tryGit(['commit', '-a', '-q', '-m', 'all'], { env: ENV });
  assert.is.not(r.code, 0);
  assert.match(r.out, /cannot find value `nope`/);
  assert.equal(snapshot(repo.dir), before);
});

test('git commit <path> checks only what that partial commit holds, and keeps the rest staged', () => {
  repo.write(LIB1, repo.read(LIB1) + '\npub fn broken() -> u64 {\n    nope\n}\n');
  repo.git('add', LIB1); // staged, but not part of this commit
  const lib2 = 'crates/loom-crate-02/src/lib.rs';
  repo.write(lib2, repo.read(lib2) + '\npub fn fine() -> u64 {\n    2\n}\n');
  const r = repo.tryGit(['commit', '-q', '-m', 'only lib2', '--', lib2], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +clippy +1 crate \(loom-crate-02\)/);
  assert.equal(repo.git('show', '--name-only', '--format=', 'HEAD').trim(), lib2);
  assert.is(repo.git('status', '--porcelain').trim(), `M  ${LIB1}`);
});

test('a merge git commits by itself runs pre-merge-commit: a merge that breaks the build is stopped, nothing lost', () => {
  reset();
  assert.ok(existsSync(join(gitDir, 'hooks/pre-merge-commit')), 'install wrote pre-merge-commit');
  repo.git('checkout', '-q', '-b', 'side');
  repo.write(LIB1, repo.read(LIB1) + '\npub fn broken() -> u64 {\n    nope\n}\n');
  repo.commitNoVerify('side: breaks loom-crate-01');
  repo.git('checkout', '-q', 'main');
  repo.write('README.md', 'main moved on\n');
  repo.commitNoVerify('main: unrelated');
  repo.write('untracked.txt', 'keep\n');
  const head = repo.git('rev-parse', 'HEAD').trim();
  const r = repo.tryGit(['merge', '--no-edit', 'side'], { env: ENV });
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, /cannot find value `nope`/);
  assert.is(repo.git('rev-parse', 'HEAD').trim(), head, 'no merge commit was made');
  assert.is(repo.read('untracked.txt'), 'keep\n');
  repo.git('merge', '--abort');
  repo.git('branch', '-q', '-D', 'side');
});

test.after(() => {
  repo.remove();
  rmSync(gates, { recursive: true, force: true });
});

test.run();
