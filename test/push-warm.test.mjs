// A private checkout that starts warm (#21): after the user's own build, the first push that needs
// the private checkout (an unsaved edit to a tracked file) compiles only what the push changed:
// third-party .rlib/.rmeta are shared by symlink (rustc replaces them by rename, so the user's
// files are never written), everything else is copied (never hard-linked), members' units with
// the user's modification times where the content is the user's; taken under cargo's lock.
// `loom-guard cache prune` removes it and says what it freed; doctor states its disk cost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, sh, tempDir, cleanEnv, ROOT, TEST_CACHE } from './helpers/repo.mjs';
import { debianCargoHome, debianRegistryAdvice, TEST_CRATES } from './helpers/debian-registry.mjs';

const treeMod = await import(join(ROOT, 'dist/push/pushTree.js'));
const warmMod = await import(join(ROOT, 'dist/push/warmTarget.js'));
const alignMod = await import(join(ROOT, 'dist/push/alignMtimes.js'));

const env = { CARGO_HOME: debianCargoHome(tempDir('loom-guard-cargo-home-')) };
// The cargo tests need TEST_CRATES in the Debian registry (.ci/run installs them).
const missing = debianRegistryAdvice(TEST_CRATES);
if (missing) process.stdout.write(`push-warm: ${missing}: the cargo tests are skipped\n`);
const cargoTest = missing ? test.skip : test;
delete process.env.CARGO_TARGET_DIR;
const cargo = (repo, ...args) => {
  const r = sh('cargo', args, { cwd: repo.dir, env: cleanEnv(env) });
  if (r.code !== 0) throw new Error(`cargo ${args.join(' ')}: ${r.out}`);
  return r.out;
};

// Third-party crates with a proc-macro (serde_derive) and build scripts (libc, proc-macro2).
const repo = Repo.init();
repo.writeAll({
  'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
  'crates/core/Cargo.toml':
    '[package]\nname = "core-model"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nserde = { version = "1", features = ["derive"] }\nlibc = "0.2"\n',
  'crates/core/src/lib.rs':
    '#[derive(serde::Serialize, Debug)]\npub struct Item {\n    pub id: u32,\n}\n\npub fn page() -> usize {\n    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as usize }\n}\n',
  'crates/app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ncore-model = { path = "../core" }\n',
  'crates/app/src/lib.rs': 'pub fn item() -> core_model::Item {\n    core_model::Item { id: 1 }\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn one() {\n        assert_eq!(super::item().id, 1);\n    }\n}\n',
  '.gitignore': '/target\n/node_modules\n',
});
const remote = tempDir('loom-guard-remote-');
sh('git', ['init', '-q', '--bare', remote]);
repo.git('remote', 'add', 'origin', remote);

const gitDir = join(repo.dir, '.git');
const layout = await treeMod.pushTreeLayout({ root: repo.dir, gitDir, commonDir: gitDir, hooksDir: join(gitDir, 'hooks') }, { ...process.env, XDG_CACHE_HOME: TEST_CACHE });
const units = (target) => {
  const dir = join(target, 'debug/.fingerprint');
  return existsSync(dir) ? readdirSync(dir) : [];
};

test('Cargo.lock: the packages with a source are the third-party ones', () => {
  const lock = 'version = 4\n\n[[package]]\nname = "app"\nversion = "0.1.0"\n\n[[package]]\nname = "serde"\nversion = "1.0.152"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\n';
  assert.equal([...warmMod.thirdPartyPackages(lock)], ['serde']);
});

test('the seed plan: third-party libraries shared, their other files and members\' libraries copied, members\' executables left', () => {
  const plan = warmMod.planWarm(
    {
      fingerprints: ['serde-0123456789abcdef', 'app-fedcba9876543210', 'other-1111111111111111'],
      build: ['serde-0123456789abcdef', 'serde-2222222222222222'],
      deps: ['libserde-0123456789abcdef.rlib', 'libserde-0123456789abcdef.rmeta', 'serde-0123456789abcdef.d', 'libapp-fedcba9876543210.rlib', 'app-fedcba9876543210', 'libother-1111111111111111.rlib'],
    },
    new Set(['serde']),
    new Set(['app']),
  );
  assert.equal(plan.share, ['deps/libserde-0123456789abcdef.rlib', 'deps/libserde-0123456789abcdef.rmeta']);
  // app-<hash> (a member's test executable) stays behind: cargo links it again when the push needs it.
  assert.equal(plan.copy, ['.fingerprint/serde-0123456789abcdef', '.fingerprint/app-fedcba9876543210', 'build/serde-0123456789abcdef', 'deps/serde-0123456789abcdef.d', 'deps/libapp-fedcba9876543210.rlib']);
});

test('alignment: a file takes the user\'s time only when its pushed blob is the index entry and git lists it unmodified', () => {
  const tree = alignMod.blobsOf('100644 blob aaa\ta.rs\x00100644 blob bbb\tb.rs\x00100644 blob ccc\tc.rs\x00120000 blob ddd\tlink\x00', 2);
  const index = alignMod.blobsOf('100644 aaa 0\ta.rs\x00100644 xxx 0\tb.rs\x00100644 ccc 0\tc.rs\x00120000 ddd 0\tlink\x00', 1);
  assert.equal(alignMod.sameContent(tree, index, new Set(['c.rs'])), ['a.rs']);
});

cargoTest('first private-checkout push after a local build compiles the workspace members only', () => {
  cargo(repo, 'generate-lockfile', '--offline');
  repo.commitNoVerify('two crates on real third-party crates');
  repo.install();
  // The user's own run of the four commands: target/ holds every third-party unit the push needs.
  cargo(repo, 'fmt', '--all', '--', '--check');
  cargo(repo, 'clippy', '--workspace', '--', '-D', 'warnings');
  cargo(repo, 'build', '--workspace');
  cargo(repo, 'test', '--workspace');
  const mine = new Set(units(join(repo.dir, 'target')));

  repo.write('node_modules/loom-guard/package.json', '{}\n');
  repo.write('notes.txt', 'untracked\n');
  repo.write('crates/app/src/lib.rs', repo.read('crates/app/src/lib.rs').replace('id: 1 }', 'id: 2 - 1 }'));
  repo.git('commit', '-q', '--no-verify', '-am', 'an edit');
  // node_modules/ and notes.txt alone now run in place (dep-info proves them unread); an unsaved
  // edit to a tracked file is what still needs the private checkout.
  repo.write('.gitignore', `${repo.read('.gitignore')}# unsaved\n`);
  const r = repo.tryGit(['push', 'origin', 'main'], { env });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /in the private checkout/);
  assert.match(r.out, /target folder starts from yours: \d+ third-party crates/);

  const theirs = units(layout.target);
  const members = theirs.filter((u) => /^(app|core-model)-[0-9a-f]{16}$/.test(u));
  assert.ok(members.length > 0, 'the members compiled in the private checkout');
  const compiled = theirs.filter((u) => !members.includes(u) && !mine.has(u));
  assert.equal(compiled, [], 'no third-party unit was compiled by the push');
  // The members' units came along, and the checkout's unchanged files carry the user's times: the
  // crate the commit did not touch (core-model) is not compiled again, the edited one (app) is.
  assert.match(r.out, /and 2 workspace crates/);
  const rlib = (dir, crate) => readdirSync(join(dir, 'debug/deps')).filter((f) => f.startsWith(`lib${crate}-`) && f.endsWith('.rlib'));
  for (const [crate, rebuilt] of [['core_model', false], ['app', true]]) {
    const files = rlib(layout.target, crate);
    assert.ok(files.length, `${crate} has a library in the private checkout`);
    const same = files.every((f) => existsSync(join(repo.dir, 'target/debug/deps', f)) && statSync(join(layout.target, 'debug/deps', f)).mtimeMs === statSync(join(repo.dir, 'target/debug/deps', f)).mtimeMs);
    assert.is(!same, rebuilt, `${crate} ${rebuilt ? 'is' : 'is not'} compiled by the push`);
  }
  // Libraries are shared by symlink (rustc replaces them by rename, never writes through);
  // everything else is a copy with the user's timestamps, never a hard link.
  const deps = readdirSync(join(layout.target, 'debug/deps'));
  const libs = deps.filter((f) => /^lib(serde|libc)-[0-9a-f]{16}\.(rlib|rmeta)$/.test(f));
  assert.ok(libs.length >= 2, 'serde and libc libraries were taken');
  for (const file of libs) {
    assert.ok(lstatSync(join(layout.target, 'debug/deps', file)).isSymbolicLink(), `${file} is shared by symlink`);
    assert.is(readlinkSync(join(layout.target, 'debug/deps', file)), join(repo.dir, 'target/debug/deps', file));
  }
  const copies = deps.filter((f) => /^(libserde_derive-[0-9a-f]{16}\.so|serde-[0-9a-f]{16}\.d)$/.test(f));
  assert.ok(copies.length >= 2, 'the proc-macro library and dep-info were taken');
  for (const file of copies) {
    const theirsAt = lstatSync(join(layout.target, 'debug/deps', file));
    const mineAt = statSync(join(repo.dir, 'target/debug/deps', file));
    assert.ok(theirsAt.isFile(), `${file} is a copy`);
    assert.is(theirsAt.mtimeMs, mineAt.mtimeMs, file);
    assert.is(theirsAt.nlink, 1, `${file} is a copy, not a hard link`);
  }
  // The push passed (pushScope "affected"): the test harness it linked is gone from the private
  // target, the largest files a run leaves; the next push links the crates it tests again anyway.
  const executables = (dir) => readdirSync(join(dir, 'debug/deps')).filter((f) => !f.includes('.') && (statSync(join(dir, 'debug/deps', f)).mode & 0o111));
  assert.equal(executables(layout.target), []);
  assert.ok(executables(repo.dir.concat('/target')).length > 0, 'the user\'s own test harnesses are untouched');

  // The next private-checkout push still tests the edited crate: cargo rebuilt what was removed.
  repo.write('crates/app/src/lib.rs', repo.read('crates/app/src/lib.rs').replace('id: 2 - 1 }', 'id: 3 - 2 }'));
  repo.git('commit', '-q', '--no-verify', '-m', 'another edit', '--', 'crates/app/src/lib.rs');
  const again = repo.tryGit(['push', 'origin', 'main'], { env });
  assert.is(again.code, 0, again.out);
  assert.match(again.out, /in the private checkout/);
  // Only the edited crate: the checkout's other files kept the times they were given (its index
  // learnt them), so core-model's dep-info is current there and cargo does not compile it again.
  assert.match(again.out, /✔ test\s+1 crate \(app\)/);
  assert.not.match(again.out, /cached/);
});

const stateOf = (path) => {
  const st = statSync(path);
  return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, sha: createHash('sha256').update(readFileSync(path)).digest('hex') };
};

cargoTest('a shared unit cargo rebuilds in the private checkout replaces the link and never writes the user\'s file', () => {
  const fingerprints = join(layout.target, 'debug/.fingerprint');
  const libcUnits = readdirSync(fingerprints).filter((u) => /^libc-[0-9a-f]{16}$/.test(u));
  const shared = readdirSync(join(layout.target, 'debug/deps')).filter((f) => /^liblibc-[0-9a-f]{16}\.(rlib|rmeta)$/.test(f));
  assert.ok(shared.length, 'libc is shared');
  const before = Object.fromEntries(shared.map((f) => [f, stateOf(join(repo.dir, 'target/debug/deps', f))]));
  // Lost fingerprints: cargo must rebuild libc (and its build script run) in the private target.
  for (const unit of libcUnits) rmSync(join(fingerprints, unit), { recursive: true });
  const r = sh('cargo', ['build', '--workspace'], { cwd: layout.tree, env: cleanEnv({ ...env, CARGO_TARGET_DIR: layout.target }) });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Compiling libc/);
  for (const f of shared) assert.equal(stateOf(join(repo.dir, 'target/debug/deps', f)), before[f], `the user's ${f} is untouched`);
  // The build unit's .rlib and .rmeta are now the private checkout's own files (clippy's unit, not rebuilt, stays shared).
  const own = shared.filter((f) => lstatSync(join(layout.target, 'debug/deps', f)).isFile());
  assert.ok(own.some((f) => f.endsWith('.rlib')) && own.some((f) => f.endsWith('.rmeta')), `rebuilt in place of the links: ${own.join(', ')}`);
});

cargoTest('a shared library the user rebuilt since is dropped with its fingerprint, so the private checkout rebuilds that unit', async () => {
  const deps = join(layout.target, 'debug/deps');
  const link = readdirSync(deps).find((f) => /^libserde-[0-9a-f]{16}\.rlib$/.test(f) && lstatSync(join(deps, f)).isSymbolicLink());
  assert.ok(link, 'serde is shared');
  const hash = /-([0-9a-f]{16})\./.exec(link)[1];
  // The user's cargo rebuilds the same unit: a new file renamed over the old one.
  const mine = join(repo.dir, 'target/debug/deps', link);
  copyFileSync(mine, `${mine}.new`);
  renameSync(`${mine}.new`, mine);
  assert.is(await warmMod.checkShared(layout.target), 1);
  assert.not.ok(existsSync(join(deps, link)), 'the link is gone');
  assert.equal(readdirSync(join(layout.target, 'debug/.fingerprint')).filter((u) => u.endsWith(`-${hash}`)), [], 'its fingerprint is gone');
  assert.is(await warmMod.checkShared(layout.target), 0, 'nothing more to drop');
});

cargoTest('the seed waits for cargo\'s build lock on the user\'s target, so a concurrent build never tears it', async () => {
  const to = tempDir('loom-guard-warm-');
  const lockFile = join(repo.dir, 'target/debug/.cargo-lock');
  assert.ok(existsSync(lockFile), 'cargo keeps its lock file in the profile folder');
  // A stand-in for a running cargo build: flock(1) holding the lock exclusively until stdin closes.
  const holder = spawn('flock', ['--exclusive', lockFile, 'cat'], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((resolve) => setTimeout(resolve, 300));
  let settled = false;
  let told = null;
  const seeding = warmMod.warmTarget(join(repo.dir, 'target'), join(to, 'target'), repo.read('Cargo.lock'), { onWait: (file) => (told = file) }).finally(() => {
    settled = true;
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.not.ok(settled, 'the seed waits while the build holds the lock');
  assert.is(told, lockFile, 'and says which lock it waits for');
  holder.stdin.end();
  const seeded = await seeding;
  assert.ok(seeded && seeded.packages > 0, 'then it takes the units');
  assert.is(seeded.lock, 'locked');
});

cargoTest('doctor states the disk cost of the private checkout; cache prune removes it and says what it freed', () => {
  const doctor = repo.lg(['doctor'], { env });
  assert.match(doctor.out, /private checkout.*\d+(\.\d+)? (kB|MB|GB)/);
  assert.match(doctor.out, /third-party libraries it uses through symlinks/);
  const help = repo.lg(['cache', 'prune', '--help'], { env });
  assert.is(help.code, 0, help.out);
  assert.match(help.out, /private checkout/);
  const pruned = repo.lg(['cache', 'prune'], { env });
  assert.is(pruned.code, 0, pruned.out);
  assert.match(pruned.out, /freed \d+(\.\d+)? (kB|MB|GB)/);
  assert.not.ok(existsSync(layout.base), 'the private checkout is gone');
  assert.ok(existsSync(join(repo.dir, 'target/debug')), 'the repository\'s own target/ stays');
  const again = repo.lg(['cache', 'prune'], { env });
  assert.match(again.out, /nothing to prune|freed 0/);
});

test.run();
