// A private checkout that starts warm (#21): after the user's own build, the first push that needs
// the private checkout (an ignored node_modules/ and an untracked file) compiles the workspace
// members only; every third-party unit comes from the user's target/, copied (never linked).
// `loom-guard cache prune` removes it and says what it freed; doctor states its disk cost.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, sh, tempDir, cleanEnv, ROOT, TEST_CACHE } from './helpers/repo.mjs';
import { debianCargoHome } from './helpers/debian-registry.mjs';

const treeMod = await import(join(ROOT, 'dist/push/pushTree.js'));
const warmMod = await import(join(ROOT, 'dist/push/warmTarget.js'));

const env = { CARGO_HOME: debianCargoHome() };
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

test('first private-checkout push after a local build compiles the workspace members only', () => {
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
  // Taken units were not rebuilt in place either: their artifacts keep the user's timestamps.
  for (const file of readdirSync(join(layout.target, 'debug/deps')).filter((f) => /^lib(serde|libc)-/.test(f))) {
    const theirsAt = statSync(join(layout.target, 'debug/deps', file));
    const mineAt = statSync(join(repo.dir, 'target/debug/deps', file));
    assert.is(theirsAt.mtimeMs, mineAt.mtimeMs, file);
    assert.is(theirsAt.nlink, 1, `${file} is a copy, not a hard link`);
  }
});

test('doctor states the disk cost of the private checkout; cache prune removes it and says what it freed', () => {
  const doctor = repo.lg(['doctor'], { env });
  assert.match(doctor.out, /private checkout.*\d+(\.\d+)? (kB|MB|GB)/);
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
