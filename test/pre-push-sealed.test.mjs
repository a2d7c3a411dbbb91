// The pre-push full check gives the verdict of a fresh clone of the pushed commit: the private
// checkout lives outside the repository (no config leaks in), in place only when provably equal,
// verified and healed before each use, path dependencies outside the repository resolved as from
// the real checkout, and a cache key that moves with everything that can change the verdict.
// Every case goes through a real `git push` to a bare remote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cleanEnv, Repo, ROOT, sh, tempDir, TEST_CACHE } from './helpers/repo.mjs';
import { embeddedMigrations, scaffold } from './helpers/workspace.mjs';

// parent/repo and parent/sibling: the repository and a crate next to it (case "../sibling").
const parent = realpathSync(tempDir('loom-guard-sealed-'));
const repo = new Repo(join(parent, 'repo'));
mkdirSync(repo.dir);
repo.git('init', '-q', '-b', 'main');
repo.git('config', 'commit.gpgsign', 'false');
repo.writeAll(scaffold.workspaceFiles(scaffold.loomWorkspace(2, await embeddedMigrations())));
repo.commitNoVerify('initial workspace');
repo.install();
const remote = join(parent, 'remote.git');
sh('git', ['init', '-q', '--bare', remote]);
repo.git('remote', 'add', 'origin', remote);

const CORE = 'crates/loom-common-core';
const CORE_LIB = `${CORE}/src/lib.rs`;
const Z = '0'.repeat(40);
const head = (rev = 'HEAD') => repo.git('rev-parse', rev).trim();
const push = (args, env) => repo.tryGit(['push', ...args], { env });
/** The same commit pushed again through git, as a new remote branch each time (so the hook runs). */
let again = 0;
const prePush = (branch, env) => push(['origin', `${branch}:refs/heads/${branch}-again-${++again}`], env);

/** A branch off main with `files` written (null deletes), committed without hooks. */
function branch(name, files, { from = 'main' } = {}) {
  repo.git('checkout', '-q', '-b', name, from);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(join(repo.dir, path));
    else repo.write(path, content);
  }
  repo.commitNoVerify(name);
  repo.git('checkout', '-q', 'main');
}

const treeMod = await import(join(ROOT, 'dist/push/pushTree.js'));
const paths = { root: repo.dir, gitDir: join(repo.dir, '.git'), commonDir: join(repo.dir, '.git'), hooksDir: join(repo.dir, '.git/hooks') };
const layout = await treeMod.pushTreeLayout(paths, { ...process.env, XDG_CACHE_HOME: TEST_CACHE });

const externals = await import(join(ROOT, 'dist/push/externals.js'));

test('manifestPaths: every dependency kind, patch, members and package.workspace; not [lib] path', () => {
  const doc = {
    package: { workspace: '../..' },
    lib: { path: 'src/lib.rs' },
    dependencies: { a: { path: '../a' }, serde: '1' },
    'dev-dependencies': { b: { path: '../../b' } },
    target: { 'cfg(unix)': { 'build-dependencies': { c: { path: '/abs/c' } } } },
    workspace: { members: ['crates/*', '../libs/x*', 'tools/one'], dependencies: { d: { path: 'vendor/d' } } },
    patch: { 'crates-io': { e: { path: '../e' } } },
    package_metadata: { path: '/not/a/dependency' },
  };
  assert.equal(externals.manifestPaths(doc).sort(), ['../..', '../../b', '../a', '../e', '../libs/', '/abs/c', 'crates/', 'tools/one', 'vendor/d'].sort());
});

test('the private checkout lives in the user cache folder, outside the repository', () => {
  assert.ok(layout.tree.startsWith(join(TEST_CACHE, 'loom-guard')), layout.tree);
  assert.ok(!layout.tree.startsWith(`${repo.dir}/`) && !layout.tree.startsWith(`${parent}/`), layout.tree);
});

test('a clean HEAD with nothing ignored but target/ is checked in place', () => {
  const r = push(['origin', 'main']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /in the working tree/);
});

test('an untracked .cargo/config.toml or rustfmt.toml in the working tree does not reach the private checkout', () => {
  branch('lint', { [CORE_LIB]: `${repo.read(CORE_LIB)}\npub fn two() -> u64 {\n    let x = 2;\n    return x;\n}\n` });
  branch('tidy', { [CORE_LIB]: `${repo.read(CORE_LIB)}\npub fn three() -> u64 {\n    3\n}\n` });
  // Silences clippy for any build under the working tree's folder.
  repo.write('.cargo/config.toml', '[build]\nrustflags = ["--cap-lints", "allow"]\n');
  // Would reformat every indented line of a correctly formatted commit.
  repo.write('rustfmt.toml', 'hard_tabs = true\n');
  try {
    const lint = push(['origin', 'lint']);
    assert.is(lint.code, 1, lint.out);
    assert.match(lint.out, /✖\s+clippy/);
    assert.match(lint.out, /private checkout/);
    const tidy = push(['origin', 'tidy']);
    assert.is(tidy.code, 0, tidy.out);
    assert.match(tidy.out, /✔\s+fmt\s+workspace/);
  } finally {
    rmSync(join(repo.dir, '.cargo'), { recursive: true });
    rmSync(join(repo.dir, 'rustfmt.toml'));
  }
});

test('a commit that needs a gitignored local-only file is not checked in place, and is refused', () => {
  const local = `${CORE}/src/local_only.rs`;
  repo.write('.gitignore', `/target\n/${local}\n`);
  repo.write(local, 'pub fn local() -> u64 {\n    1\n}\n');
  repo.write(CORE_LIB, `pub mod local_only;\n\n${repo.read(CORE_LIB)}`);
  repo.commitNoVerify('needs a file that is never committed');
  try {
    assert.is(repo.git('status', '--porcelain'), '');
    const r = push(['origin', 'main']);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /✖\s+clippy/); // a compile error stops the runner at clippy, before build
    assert.match(r.out, /not in place: the ignored crates\/loom-common-core\/src\/local_only\.rs is in no fresh clone/);
  } finally {
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    rmSync(join(repo.dir, local));
  }
});

test('a config above the repository (not user-level) keeps the check out of the working tree', () => {
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\npub fn above() -> u64 {\n    6\n}\n`);
  repo.commitNoVerify('a correctly formatted change');
  // In the folder holding the repository: rustfmt would use it in place, never in a fresh clone elsewhere.
  writeFileSync(join(parent, 'rustfmt.toml'), 'hard_tabs = true\n');
  try {
    const r = push(['origin', 'main'], { LOOM_GUARD_SKIP: 'clippy,build,test' });
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /not in place: a cargo, rustfmt or clippy config in a folder above the repository would apply/);
    assert.match(r.out, /✔\s+fmt\s+workspace/);
  } finally {
    rmSync(join(parent, 'rustfmt.toml'));
  }
});

test('a path dependency that contains the repository cannot be checked apart from it, and the push says so', () => {
  branch('up', { [`${CORE}/Cargo.toml`]: `${repo.read(`${CORE}/Cargo.toml`)}everything = { path = "../../.." }\n` });
  repo.write('notes.txt', 'a dirty working tree');
  try {
    const r = push(['origin', 'up'], { LOOM_GUARD_SKIP: 'nix-sync' });
    assert.is(r.code, 1, r.out); // git reports any hook failure as 1
    assert.match(r.out, /crates\/loom-common-core\/Cargo\.toml: path "\.\.\/\.\.\/\.\." contains the repository itself: a private checkout cannot reproduce that layout/);
    assert.match(r.out, /push from a clean checkout of it/);
    assert.not.match(r.out, /\n\s+at /); // one line, no stack trace
  } finally {
    rmSync(join(repo.dir, 'notes.txt'));
  }
});

test('a file marked assume-unchanged and edited keeps the check out of the working tree', () => {
  const lib = 'crates/loom-server/src/lib.rs';
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\npub fn marked() -> u64 {\n    8\n}\n`);
  repo.commitNoVerify('a good change');
  repo.git('update-index', '--assume-unchanged', lib);
  const original = repo.read(lib);
  repo.write(lib, 'this does not compile(');
  try {
    assert.is(repo.git('status', '--porcelain'), ''); // git status does not look at it
    const r = push(['origin', 'main'], { LOOM_GUARD_SKIP: 'test' });
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /not in place: crates\/loom-server\/src\/lib\.rs is marked assume-unchanged or skip-worktree/);
  } finally {
    repo.write(lib, original);
    repo.git('update-index', '--no-assume-unchanged', lib);
  }
});

/** Where this version or the one before keeps the private index. */
const privateIndexes = () => [layout.index, join(repo.dir, '.git/loom-guard/push-tree.index')];

test('a damaged private index does not leave a file the pushed commit deleted', () => {
  branch('helper', {
    [CORE_LIB]: `mod helper;\npub use helper::helped;\n\n${repo.read(CORE_LIB)}`,
    [`${CORE}/src/helper.rs`]: 'pub fn helped() -> u64 {\n    5\n}\n',
  });
  const first = push(['origin', 'helper']);
  assert.is(first.code, 0, first.out);
  // The next commit deletes helper.rs but still declares the module: it does not build.
  branch('nohelper', { [`${CORE}/src/helper.rs`]: null }, { from: 'helper' });
  for (const index of privateIndexes()) if (existsSync(index)) writeFileSync(index, 'garbage');
  const r = push(['origin', 'nohelper']);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+clippy/); // a compile error stops the runner at clippy, before build
  assert.match(r.out, /checked out afresh/);
  assert.not.ok(existsSync(join(layout.tree, CORE, 'src/helper.rs')));
});

test('an extra file dropped into the private checkout is removed before the check; checkouts of gone repositories are pruned', () => {
  writeFileSync(join(layout.tree, CORE, 'src/helper.rs'), 'pub fn helped() -> u64 {\n    5\n}\n');
  const cacheRoot = join(TEST_CACHE, 'loom-guard');
  for (const [name, owner] of [['gone-0123', join(parent, 'deleted-clone')], ['here-0123', parent]]) {
    mkdirSync(join(cacheRoot, name, 'target'), { recursive: true });
    writeFileSync(join(cacheRoot, name, 'owner'), `${owner}\n`);
  }
  const r = prePush('nohelper');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+clippy/); // a compile error stops the runner at clippy, before build
  assert.not.ok(existsSync(join(layout.tree, CORE, 'src/helper.rs')));
  assert.match(r.out, /removed 1 private checkout of repositories that no longer exist/);
  assert.not.ok(existsSync(join(cacheRoot, 'gone-0123')));
  assert.ok(existsSync(join(cacheRoot, 'here-0123')));
  rmSync(join(cacheRoot, 'here-0123'), { recursive: true });
});

test('a run killed (SIGKILL) while moving the private checkout does not block the next push', async () => {
  // A commit with a few thousand files, so that the checkout takes long enough to be killed in.
  const blob = sh('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: 'x\n' }).stdout.trim();
  const entries = Array.from({ length: 3000 }, (_, i) => `100644 blob ${blob}\tf${String(i).padStart(5, '0')}\n`).join('');
  const bulk = sh('git', ['mktree'], { cwd: repo.dir, input: entries }).stdout.trim();
  const top = repo.git('ls-tree', 'main').replace(/\n$/, '');
  const tree = sh('git', ['mktree'], { cwd: repo.dir, input: `${top}\n040000 tree ${bulk}\tbulk\n` }).stdout.trim();
  const commit = sh('git', ['commit-tree', tree, '-p', 'main', '-m', 'bulk'], { cwd: repo.dir }).stdout.trim();
  repo.git('branch', 'bulk', commit);
  const env = cleanEnv({ LOOM_GUARD_SKIP: 'clippy,build,test' });
  const child = spawn(process.execPath, [CLI, 'pre-push', 'origin', remote], { cwd: repo.dir, env, detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.end(`refs/heads/bulk ${commit} refs/heads/bulk ${Z}\n`);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const locks = privateIndexes().map((i) => `${i}.lock`);
  let killed = false;
  for (let done = false; !done && !killed; ) {
    if (locks.some((l) => existsSync(l))) {
      process.kill(-child.pid, 'SIGKILL'); // the whole group: loom-guard and its git read-tree
      killed = true;
    }
    done = await Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 2))]);
  }
  await exited;
  assert.ok(killed, 'the run was killed while git held the private index');
  assert.ok(locks.some((l) => existsSync(l)), 'the killed checkout left its index.lock behind');
  const r = push(['origin', 'bulk'], { LOOM_GUARD_SKIP: 'clippy,build,test' });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔\s+fmt\s+workspace/);
  assert.is(readdirSync(join(layout.tree, 'bulk')).length, 3000);
});

test('the cache key covers CARGO_* settings and user-level config files', () => {
  const config = join(parent, 'config');
  mkdirSync(config);
  branch('cfg', { [CORE_LIB]: `${repo.read(CORE_LIB)}\npub fn four() -> u64 {\n    4\n}\n` });
  const env = { XDG_CONFIG_HOME: config };
  assert.is(push(['origin', 'cfg'], env).code, 0);
  assert.match(prePush('cfg', env).out, /✔\s+build\s+workspace\s+\(cached\)/);
  const profiled = prePush('cfg', { ...env, CARGO_PROFILE_DEV_OPT_LEVEL: '1' });
  assert.is(profiled.code, 0, profiled.out);
  assert.not.match(profiled.out, /\(cached\)/);
  // rustfmt's user-level config (no rustfmt.toml above the tree): the cached pass no longer holds.
  mkdirSync(join(config, 'rustfmt'));
  writeFileSync(join(config, 'rustfmt/rustfmt.toml'), 'hard_tabs = true\n');
  const r = prePush('cfg', env);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+fmt/);
});

test('a path dependency outside the repository (../sibling) resolves from the private checkout as from the real one', () => {
  const sibling = join(parent, 'sibling');
  mkdirSync(join(sibling, 'src'), { recursive: true });
  writeFileSync(join(sibling, 'Cargo.toml'), '[package]\nname = "sibling"\nversion = "0.1.0"\nedition = "2021"\n');
  writeFileSync(join(sibling, 'src/lib.rs'), 'pub fn sib() -> u64 {\n    9\n}\n');
  repo.git('checkout', '-q', '-b', 'ext', 'main');
  repo.write(`${CORE}/Cargo.toml`, `${repo.read(`${CORE}/Cargo.toml`)}sibling = { path = "../../../sibling" }\n`);
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\npub fn via() -> u64 {\n    sibling::sib()\n}\n`);
  const meta = sh('cargo', ['metadata', '--offline', '--format-version', '1'], { cwd: repo.dir });
  assert.is(meta.code, 0, meta.out);
  repo.commitNoVerify('use the sibling crate');
  repo.git('checkout', '-q', 'main');
  repo.write('notes.txt', 'a dirty working tree');
  const env = { LOOM_GUARD_SKIP: 'nix-sync' };
  const r = push(['origin', 'ext'], env);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /private checkout/);
  assert.match(prePush('ext', env).out, /✔\s+build\s+workspace\s+\(cached\)/);
  // The sibling is not part of the pushed tree: its change must be seen, not answered from the cache.
  writeFileSync(join(sibling, 'src/lib.rs'), 'pub fn sib() -> u64 {\n    nope\n}\n');
  const broken = prePush('ext', env);
  assert.is(broken.code, 1, broken.out);
  assert.match(broken.out, /✖\s+clippy/); // a compile error stops the runner at clippy, before build
});

test.after(() => {
  rmSync(parent, { recursive: true, force: true });
});

test.run();
