// fmt, clippy and build on exactly the staged crates: real git commits through the installed hook,
// real cargo, a generated workspace shared by the cases (reset between them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { workspaceRepo, scaffold, embeddedMigrations } from './helpers/workspace.mjs';
import { cargoTargetFor, snapshot } from './helpers/snapshot.mjs';

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url) };
const realCargo = sh('sh', ['-c', 'command -v cargo']).stdout.trim();

// A cargo on PATH that logs each call, then runs the real one: proves which commands ran.
const shimDir = tempDir('loom-guard-cargo-shim-');
const cargoLog = join(shimDir, 'calls.log');
// A single pass (clippy-driver as the workspace wrapper) is logged with a `[clippy-driver]` prefix.
writeFileSync(
  join(shimDir, 'cargo'),
  `#!/bin/sh\ncase "$RUSTC_WORKSPACE_WRAPPER" in *clippy-driver) w='[clippy-driver] ';; *) w='';; esac\nprintf '%s%s\\n' "$w" "$*" >> '${cargoLog}'\nexec '${realCargo}' "$@"\n`,
);
chmodSync(join(shimDir, 'cargo'), 0o755);
const LOGGED = { ...ENV, PATH: `${shimDir}:${process.env.PATH}` };
const calls = () => (existsSync(cargoLog) ? readFileSync(cargoLog, 'utf8').trim().split('\n').filter(Boolean) : []);
const clearCalls = () => rmSync(cargoLog, { force: true });

const { repo } = await workspaceRepo({ crates: 4 });
const LIB1 = 'crates/loom-crate-01/src/lib.rs';
const LIB2 = 'crates/loom-crate-02/src/lib.rs';
const base = repo.git('rev-parse', 'HEAD').trim();

function reset() {
  repo.git('checkout', '-q', '-f', 'main');
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq');
}

const good = (name) => `\npub fn ${name}(n: u64) -> u64 {\n    n * 2\n}\n`;
const commit = (msg, env = ENV) => repo.tryGit(['commit', '-q', '-m', msg], { env });
const head = () => repo.git('rev-parse', 'HEAD').trim();

test.before.each(reset);

const crates = await import(join(ROOT, 'dist/cargo/crates.js'));
const steps = await import(join(ROOT, 'dist/cargo/steps.js'));
const config = await import(join(ROOT, 'dist/config.js'));

test('paths to crates: deepest member wins, workspace files mean everything, renames count both sides', () => {
  const members = [
    { name: 'root-pkg', dir: '' },
    { name: 'a', dir: 'crates/a' },
    { name: 'a-inner', dir: 'crates/a/inner' },
    { name: 'b', dir: 'crates/b' },
  ];
  assert.equal(crates.selectCrates(['crates/a/inner/src/lib.rs', 'crates/b/migrations/001_x.sql'], members), { workspace: false, crates: ['a-inner', 'b'] });
  assert.equal(crates.selectCrates(['crates/ab/x.rs'], members.slice(1)), { workspace: false, crates: [] });
  for (const f of ['Cargo.lock', 'rust-toolchain.toml', '.cargo/config.toml', 'clippy.toml', '.rustfmt.toml']) {
    assert.is(crates.selectCrates(['crates/a/x.rs', f], members).workspace, true, f);
  }
  assert.is(crates.selectCrates(['crates/a/clippy.toml'], members.slice(1)).crates[0], 'a');
});

test('cargo argument arrays, with extra arguments from the config split at --', () => {
  const cfg = config.parseConfig({ cargoArgs: { clippy: ['--all-targets', '--', '-W', 'clippy::pedantic'], build: ['--locked'] } }, 'test');
  const two = { workspace: false, crates: ['loom-cli', 'loom-core'] };
  assert.equal(steps.stepArgs('fmt', two, 'dev-fast', cfg), ['fmt', '--check', '-p', 'loom-cli', '-p', 'loom-core']);
  assert.equal(steps.stepArgs('clippy', two, 'dev-fast', cfg), ['clippy', '--profile', 'dev-fast', '-p', 'loom-cli', '-p', 'loom-core', '--all-targets', '--', '-D', 'warnings', '-W', 'clippy::pedantic']);
  assert.equal(steps.stepArgs('build', { workspace: true, crates: ['x'], because: 'Cargo.lock' }, 'dev', cfg), ['build', '--profile', 'dev', '--workspace', '--locked']);
  assert.equal(steps.stepArgs('test', two, null, cfg), ['test', '-p', 'loom-cli', '-p', 'loom-core']);
  // The single pass: cargo-clippy's environment for clippy-driver, the build's command line.
  const pass = steps.singlePassArgs(two, 'dev-fast', config.parseConfig({ cargoArgs: { clippy: ['--', '-W', 'clippy::pedantic'] } }, 'test'), '/tc/bin/clippy-driver');
  assert.equal(pass.args, ['build', '--profile', 'dev-fast', '-p', 'loom-cli', '-p', 'loom-core']);
  assert.equal(pass.env, { RUSTC_WORKSPACE_WRAPPER: '/tc/bin/clippy-driver', CLIPPY_ARGS: '-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__-W__CLIPPY_HACKERY__clippy::pedantic__CLIPPY_HACKERY__' });
  // clippy's --all-targets would check more than the build builds: then the two run separately.
  assert.is(steps.singlePassArgs(two, 'dev-fast', cfg, 'clippy-driver'), null);
  assert.is(steps.singlePassFailure('error: linking with `cc` failed: exit status: 1\nerror: could not compile `x` (bin "x")'), 'build');
  assert.is(steps.singlePassFailure('error: unneeded `return` statement\nerror: could not compile `x` (lib)'), 'clippy');
  assert.is(steps.fixFor('fmt', two, 'dev-fast'), 'cargo fmt -p loom-cli -p loom-core, then git add the formatted files');
  assert.is(steps.describeSelection(two), '2 crates (loom-cli, loom-core)');
});

test('a clippy error is blocked with clippy\'s own output and the fix', () => {
  repo.write(LIB1, repo.read(LIB1) + '\npub fn x(v: u64) -> u64 {\n    return v;\n}\n');
  repo.git('add', '-A');
  const r = commit('clippy');
  assert.is.not(r.code, 0);
  assert.match(r.out, /✖ +clippy +1 crate \(loom-crate-01\)/);
  assert.match(r.out, /unneeded `return` statement/);
  assert.match(r.out, /fix: .*cargo clippy --profile dev-fast -p loom-crate-01 -- -D warnings/);
  assert.match(r.out, /✔ +fmt/);
  assert.is(head(), base);
});

test('unformatted code is blocked with rustfmt\'s diff and `cargo fmt -p <crate>`', () => {
  repo.write(LIB1, repo.read(LIB1) + 'pub fn y() -> u64 { 1 }\n');
  repo.git('add', '-A');
  const r = commit('fmt');
  assert.is.not(r.code, 0);
  assert.match(r.out, /✖ +fmt +1 crate \(loom-crate-01\)/);
  assert.match(r.out, /Diff in .*loom-crate-01\/src\/lib\.rs/);
  assert.match(r.out, /fix: cargo fmt -p loom-crate-01/);
  assert.not.match(r.out, /\x1b\[/, 'no colour codes when not on a terminal');
  assert.is(head(), base);
});

test('a compile error is blocked with rustc\'s output', () => {
  repo.write(LIB1, repo.read(LIB1) + '\npub fn z() -> u64 {\n    undefined_thing()\n}\n');
  repo.git('add', '-A');
  const r = commit('broken');
  assert.is.not(r.code, 0);
  assert.match(r.out, /error\[E0425\]: cannot find function `undefined_thing`/);
  // Clippy and the build ran side by side: the same error is reported once, by clippy.
  assert.match(r.out, /build +not reported: clippy failed/);
  assert.is(head(), base);
});

test('a change in one crate runs fmt, clippy and build on that crate only', () => {
  repo.write(LIB2, repo.read(LIB2) + good('doubled'));
  repo.git('add', '-A');
  clearCalls();
  const r = commit('one crate', LOGGED);
  assert.is(r.code, 0, r.out);
  for (const id of ['fmt', 'clippy', 'build']) assert.match(r.out, new RegExp(`✔ +${id} +1 crate \\(loom-crate-02\\)`));
  for (const other of ['loom-crate-01', 'loom-server', 'loom-common-core']) assert.not.ok(r.out.includes(other), `output names only loom-crate-02, not ${other}`);
  // The default lint mode: clippy in its own profile (inheriting dev-fast) beside a plain build,
  // which is the build a person runs: no wrapper in its fingerprint.
  const steps = calls().filter((c) => /^(\[clippy-driver\] )?(fmt|clippy|build)\b/.test(c));
  assert.equal(steps.sort(), [
    'build --profile dev-fast -p loom-crate-02',
    'clippy --config profile.loom-guard-lint.inherits="dev-fast" --profile loom-guard-lint -p loom-crate-02 -- -D warnings',
    'fmt --check -p loom-crate-02 -- --color=never',
  ]);
  assert.not.match(r.out, /in the same pass/);
  // The member list is cached on the manifests: the next commit asks cargo metadata nothing.
  repo.write(LIB2, repo.read(LIB2) + good('tripled'));
  repo.git('add', '-A');
  clearCalls();
  assert.is(commit('again', LOGGED).code, 0);
  assert.not.ok(calls().some((c) => c.startsWith('metadata')), calls().join('\n'));
});

test('nothing Rust-related staged starts no cargo process at all (while cargo\'s records of every crate are current)', () => {
  // A file outside every crate concerns cargo only if a unit read it; the records must be newer than the sources they list.
  const built = sh('cargo', ['build', '--workspace', '--offline'], { cwd: repo.dir, env: { ...process.env, ...ENV } });
  assert.is(built.code, 0, built.out);
  repo.write('README.md', '# notes\n');
  repo.git('add', '-A');
  clearCalls();
  // through Node (the hook's shim may not even start Node for this)
  const r = repo.lg(['pre-commit'], { env: LOGGED });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /clippy +no Rust changes staged/);
  const c = commit('docs', LOGGED);
  assert.is(c.code, 0, c.out);
  assert.equal(calls(), []);
});

test('a root rustfmt.toml checks the whole workspace', () => {
  repo.write('rustfmt.toml', 'edition = "2021"\n');
  repo.git('add', '-A');
  const r = commit('fmt config');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +clippy +4 crates \(workspace: rustfmt\.toml changed\)/);
});

test('a migration (an include_str! resource) maps to its crate', () => {
  const db = 'crates/loom-server/src/db/mod.rs';
  repo.write(db, repo.read(db).replace('];', '    include_str!("../../migrations/999_extra.sql"),\n];'));
  repo.git('add', db);
  // the migration file itself is not staged: the build must see it missing
  repo.write('crates/loom-server/migrations/999_extra.sql', 'CREATE TABLE IF NOT EXISTS x (id INTEGER);\n');
  const r = repo.lg(['check', '--staged'], { env: ENV });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /clippy +1 crate \(loom-server\)/);
  assert.match(r.out, /999_extra\.sql/);
  repo.git('add', '-A');
  const ok = repo.lg(['check', '--staged'], { env: ENV });
  assert.match(ok.out, /✔ +build +1 crate \(loom-server\)/);
});

test('a good index with a broken working tree passes, leaving everything as it was', () => {
  repo.write(LIB1, repo.read(LIB1) + good('fine'));
  repo.git('add', '-A');
  repo.write(LIB1, repo.read(LIB1) + 'this does not compile(\n'); // unstaged breakage, same file
  repo.write(LIB2, 'broken(\n'); // unstaged breakage, other crate
  repo.write('crates/loom-crate-01/src/stray.rs', 'also broken(\n'); // untracked
  rmSync(join(repo.dir, 'crates/loom-server/src/db/mod.rs')); // worktree deletion
  repo.git('stash', 'store', '-m', 'unrelated', repo.git('commit-tree', '-p', 'HEAD', '-m', 'x', 'HEAD^{tree}').trim());
  const before = snapshot(repo.dir);
  const r = repo.lg(['pre-commit'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.equal(snapshot(repo.dir), before);
  const c = commit('good index');
  assert.is(c.code, 0, c.out);
  const after = snapshot(repo.dir);
  assert.equal(after.files, before.files);
  assert.equal(after.diff, before.diff);
  assert.equal(after.untracked, before.untracked);
  assert.equal(after.stash, before.stash);
  repo.git('stash', 'clear');
});

test('a broken index with a fixed working tree is blocked, leaving everything as it was', () => {
  repo.write(LIB1, repo.read(LIB1) + '\npub fn bad() -> u64 {\n    nope\n}\n');
  repo.git('add', '-A');
  repo.write(LIB1, repo.read(LIB1).replace('nope', '1'));
  repo.write('untracked note.txt', 'keep me\n');
  const before = snapshot(repo.dir);
  const r = commit('broken index');
  assert.is.not(r.code, 0);
  assert.match(r.out, /cannot find value `nope`/);
  assert.equal(snapshot(repo.dir), before);
});

test('an untracked module the staged code needs is blocked', () => {
  repo.write(LIB1, `mod helper;\n${repo.read(LIB1)}\npub fn h() -> u64 {\n    helper::one()\n}\n`);
  repo.git('add', LIB1);
  repo.write('crates/loom-crate-01/src/helper.rs', 'pub fn one() -> u64 {\n    1\n}\n');
  const before = snapshot(repo.dir);
  assert.is(sh('cargo', ['build', '-q', '-p', 'loom-crate-01'], { cwd: repo.dir, env: { ...process.env, ...ENV } }).code, 0, 'the working tree builds');
  const r = commit('needs helper');
  assert.is.not(r.code, 0);
  assert.match(r.out, /file not found for module `helper`/);
  assert.equal(snapshot(repo.dir), before);
  assert.is(head(), base);
});

test('binary files, renames, deletions, spaces and unicode in names', () => {
  // set up tracked files to rename and delete
  const c2 = 'crates/loom-crate-02';
  repo.write(`${c2}/notes.txt`, 'notes\n');
  repo.write(`${c2}/data ö.txt`, 'data\n');
  repo.write(`${c2}/blob.bin`, Buffer.from([0, 1, 2, 255, 0, 10, 13]));
  repo.write(`${c2}/old file.txt`, 'old\n');
  repo.commitNoVerify('files');
  const start = head();
  // staged: a module in a file with spaces and unicode, a rename, a deletion, a binary edit
  repo.write(`${c2}/src/spaced ünï.rs`, 'pub fn s() -> &\'static str {\n    include_str!("../data ö.txt")\n}\n');
  repo.write(LIB2, `#[path = "spaced ünï.rs"]\npub mod spaced;\npub const BLOB: &[u8] = include_bytes!("../blob.bin");\n${repo.read(LIB2)}`);
  repo.git('mv', `${c2}/notes.txt`, `${c2}/notes renamed ✓.txt`);
  repo.write(`${c2}/blob.bin`, Buffer.from([9, 0, 8, 0, 255]));
  repo.git('add', '-A');
  repo.git('rm', '-q', `${c2}/old file.txt`);
  // unstaged: the included data file deleted, the binary changed again, untracked unicode names
  rmSync(join(repo.dir, `${c2}/data ö.txt`));
  repo.write(`${c2}/blob.bin`, Buffer.from([7, 7, 7]));
  repo.write(`${c2}/untracked ü 漢字.bin`, Buffer.from([0, 0, 1]));
  repo.write('dir with space/ñ.txt', 'x\n');
  const before = snapshot(repo.dir);
  const r = repo.lg(['pre-commit'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +build +1 crate \(loom-crate-02\)/);
  assert.equal(snapshot(repo.dir), before);
  const c = commit('names');
  assert.is(c.code, 0, c.out);
  assert.is.not(head(), start);
  assert.equal(snapshot(repo.dir).files, before.files);
  assert.is(repo.git('show', `HEAD:${c2}/blob.bin`).length, 5);
});

test('a merge commit is checked against its first parent', () => {
  const original = repo.read(LIB1);
  repo.git('checkout', '-q', '-b', 'side');
  repo.write(LIB1, repo.read(LIB1) + good('side'));
  repo.commitNoVerify('side');
  repo.git('checkout', '-q', 'main');
  repo.write(LIB1, repo.read(LIB1) + good('main'));
  repo.commitNoVerify('main');
  const m = repo.tryGit(['merge', '-q', '--no-ff', 'side']);
  assert.is.not(m.code, 0, 'the merge conflicts');
  repo.write(LIB1, original + good('main') + good('side'));
  repo.git('add', '-A');
  const r = repo.tryGit(['commit', '-q', '--no-edit'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +clippy +1 crate \(loom-crate-01\)/);
  assert.is(repo.git('rev-list', '--parents', '-n', '1', 'HEAD').trim().split(' ').length, 3);
  repo.git('branch', '-q', '-D', 'side');
});

test('detached HEAD', () => {
  repo.git('checkout', '-q', '--detach');
  repo.write(LIB2, repo.read(LIB2) + good('detached'));
  repo.git('add', '-A');
  const r = commit('detached');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +build +1 crate \(loom-crate-02\)/);
  assert.is(repo.tryGit(['symbolic-ref', '-q', 'HEAD']).code, 1, 'still detached');
});

test('no [profile.dev-fast]: the dev profile, with one warning line', () => {
  repo.write('.loom-guard.json', '{ "profile": "hook-fast" }\n');
  repo.write(LIB2, repo.read(LIB2) + good('prof'));
  repo.git('add', LIB2);
  clearCalls();
  const r = repo.lg(['check', '--staged'], { env: LOGGED });
  assert.is(r.code, 0, r.out);
  assert.is(r.out.split('\n').filter((l) => l.includes('[profile.hook-fast]')).length, 1);
  assert.ok(calls().includes('build --profile dev -p loom-crate-02'), calls().join('\n'));
  assert.ok(calls().includes('clippy --config profile.loom-guard-lint.inherits="dev" --profile loom-guard-lint -p loom-crate-02 -- -D warnings'), calls().join('\n'));
  // "lint": "separate": the two commands of old.
  repo.write('.loom-guard.json', '{ "profile": "hook-fast", "lint": "separate" }\n');
  clearCalls();
  assert.is(repo.lg(['check', '--staged'], { env: LOGGED }).code, 0);
  assert.ok(calls().includes('clippy --profile dev -p loom-crate-02 -- -D warnings'), calls().join('\n'));
  assert.ok(calls().includes('build --profile dev -p loom-crate-02'), calls().join('\n'));
});

test('the initial commit checks the whole workspace', async () => {
  const fresh = Repo.init();
  try {
    fresh.writeAll(scaffold.workspaceFiles(scaffold.loomWorkspace(3, await embeddedMigrations())));
    fresh.install();
    fresh.git('add', '-A');
    fresh.write('scratch.txt', 'untracked\n');
    const r = fresh.tryGit(['commit', '-q', '-m', 'initial'], { env: ENV });
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /✔ +build +3 crates \(workspace: (Cargo\.toml|Cargo\.lock) changed\)/);
    assert.ok(fresh.exists('scratch.txt'));
  } finally {
    fresh.remove();
  }
});

test.after(() => {
  repo.remove();
  rmSync(shimDir, { recursive: true, force: true });
});

test('cargo output in a report leaves out progress lines, coloured or not', () => {
  const all = [
    '    Checking loom-core v0.1.0',
    '\x1b[1m\x1b[92m    Checking\x1b[0m loom-cli v0.1.0',
    '\x1b[1m\x1b[91merror\x1b[0m: writing `&Vec` instead of `&[_]`',
    '\x1b[1m\x1b[92m    Finished\x1b[0m `dev-fast` profile',
  ].join('\n');
  const out = steps.cargoOutput({ all });
  assert.not.match(out, /Checking|Finished/);
  assert.match(out, /writing `&Vec`/);
});

test.run();
