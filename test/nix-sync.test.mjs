// nix-sync through real `git commit` (installed hooks) and the real CLI in a generated workspace.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LG, Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { scaffold, workspaceRepo } from './helpers/workspace.mjs';

const FAKE = join(ROOT, 'test/fixtures/fake-cargo2nix.mjs');
// Only nix-sync runs: the other checks have their own tests (and cargo would slow these down).
const ONLY_NIX = { LOOM_GUARD_SKIP: 'migrations,fmt,clippy,build,test' };
const sha = (text) => createHash('sha256').update(text).digest('hex');
const recordedHash = (nix) => /nixifiedLockHash = "([0-9a-f]{64})"/.exec(nix)[1];

// A PATH with git and nothing else: no cargo2nix, no nix.
const bareBin = tempDir('loom-guard-bin-');
const gitPath = sh('sh', ['-c', 'command -v git']).stdout.trim();
symlinkSync(gitPath, join(bareBin, 'git'));
const NO_GENERATOR = { PATH: bareBin };

const { repo, spec } = await workspaceRepo({ crates: 4 });
repo.write('.loom-guard.json', JSON.stringify({ regenerate: [process.execPath, FAKE, '-o', '-l'] }, null, 2));
repo.commitNoVerify('use the fake cargo2nix');

const commit = (msg, opts = {}) => repo.commit(msg, { env: { ...ONLY_NIX, ...opts.env }, all: opts.all ?? true });
const reset = () => {
  repo.git('reset', '-q', '--hard', 'HEAD');
  repo.git('clean', '-qfd');
};
const nixLines = (out) => out.split('\n').filter((l) => l.includes('nix-sync'));

const { bakedManifestChanges } = await import(join(ROOT, 'dist/nix/manifest.js'));

test('baked Cargo.toml keys are found on parsed TOML; metadata, comments and layout pass', () => {
  const base = `[package]
name = "a"
version = "0.1.0"
description = "one"

[dependencies]
serde = "1"

[target.'cfg(unix)'.dependencies]
libc = "0.2"

[features]
default = []

[profile.dev-fast]
debug = 0

[workspace]
members = ["crates/*"]
`;
  const changed = (from, to, root = true) => bakedManifestChanges(base, base.replace(from, to), 'Cargo.toml', root);
  assert.equal(changed('serde = "1"', 'serde = { version = "1", features = ["derive"] }'), ['dependencies.serde']);
  assert.equal(changed('serde = "1"', 'serde_json = { package = "serde", version = "1" }'), ['dependencies.serde_json', 'dependencies.serde']);
  assert.equal(changed('libc = "0.2"', 'libc = "0.3"'), ["target.'cfg(unix)'.dependencies.libc"]);
  assert.equal(changed('default = []', 'default = ["std"]'), ['features.default']);
  assert.equal(changed('debug = 0', 'debug = 1'), ['profile.dev-fast.debug']);
  assert.equal(changed('debug = 0', 'debug = 1', false), [], 'profiles count in the root manifest only');
  assert.equal(changed('members = ["crates/*"]', 'members = ["crates/*", "tools/*"]'), ['workspace.members']);
  assert.equal(changed('version = "0.1.0"', 'version = "0.2.0"'), ['package.version']);
  assert.equal(changed('description = "one"', 'description = "two"\nauthors = ["x"]'), []);
  assert.equal(bakedManifestChanges(base, `# comment\n${base.replace(/ = /g, '   =   ')}\n\n`, 'Cargo.toml', true), []);
  assert.equal(bakedManifestChanges(null, base, 'crates/a/Cargo.toml', false).slice(0, 2), ['package.name', 'package.version']);
});

test('a new crate with its Cargo.lock change and no Cargo.nix change is blocked, naming both hashes and the fix', () => {
  const oldLock = repo.read('Cargo.lock');
  const next = { ...spec, crates: [...spec.crates, { name: 'loom-crate-new', deps: ['loom-common-core'] }] };
  const crate = next.crates.at(-1);
  repo.write('crates/loom-crate-new/Cargo.toml', scaffold.crateManifest(crate));
  repo.write('crates/loom-crate-new/src/lib.rs', scaffold.crateLib(crate));
  const lock = scaffold.cargoLock(next);
  repo.write('Cargo.lock', lock);
  const r = commit('add a crate');
  assert.is.not(r.code, 0, r.out);
  assert.ok(r.out.includes(`Cargo.nix ${sha(oldLock)} is out of sync with Cargo.lock ${sha(lock)}`), r.out);
  assert.match(r.out, /Cargo\.lock changed, Cargo\.nix did not/);
  assert.match(r.out, /crates\/loom-crate-new\/Cargo\.toml: package\.name/);
  assert.ok(r.out.includes(`fix: ${LG} nix update`), r.out);
  assert.is(repo.git('rev-list', '--count', 'HEAD').trim(), '2');

  // nix check on the staged state says the same: exit 1.
  const check = repo.lg(['nix', 'check']);
  assert.is(check.code, 1, check.out);
  assert.ok(check.out.includes(sha(lock)));

  // Regenerated (the fake cargo2nix) and stamped by nix update: the same commit passes.
  const update = repo.lg(['nix', 'update']);
  assert.is(update.code, 0, update.out);
  assert.match(update.out, /git add Cargo\.nix/);
  const nix = repo.read('Cargo.nix');
  assert.is(recordedHash(nix), sha(lock));
  assert.match(nix, /^# loom-guard resources-stamp: sha256=[0-9a-f]{64} files=10$/m);
  const ok = commit('add a crate, regenerated');
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, /✔\s+nix-sync\s+Cargo\.nix in sync/);
  assert.is(repo.lg(['nix', 'check']).code, 0);
});

test('a feature added to a crate with no Cargo.nix change is blocked, naming the key', () => {
  repo.write('crates/loom-crate-01/Cargo.toml', `${repo.read('crates/loom-crate-01/Cargo.toml')}\n[features]\nextra = []\n`);
  const r = commit('add a feature');
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, /crates\/loom-crate-01\/Cargo\.toml: features\.extra added|crates\/loom-crate-01\/Cargo\.toml: features\.extra changed/);
  reset();
});

test('a profile edit in the root manifest is blocked, naming profile.dev-fast.debug', () => {
  repo.write('Cargo.toml', repo.read('Cargo.toml').replace('debug = 0', 'debug = 1'));
  const r = commit('debug info');
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, /Cargo\.toml: profile\.dev-fast\.debug changed/);
  reset();
});

test('a description, comment and whitespace edit passes', () => {
  const path = 'crates/loom-crate-01/Cargo.toml';
  repo.write(path, `# a comment\n${repo.read(path).replace(/description = ".*"/, 'description   =   "something else"')}\n\n`);
  const r = commit('describe');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔\s+nix-sync/);
});

test('a hand-edited wrong lock hash is blocked', () => {
  const bad = 'a'.repeat(64);
  repo.write('Cargo.nix', repo.read('Cargo.nix').replace(/nixifiedLockHash = "[0-9a-f]{64}"/, `nixifiedLockHash = "${bad}"`));
  const r = commit('oops');
  assert.is.not(r.code, 0, r.out);
  assert.ok(r.out.includes(`Cargo.nix ${bad} is out of sync with Cargo.lock ${sha(repo.read('Cargo.lock'))} (Cargo.nix changed, Cargo.lock did not)`), r.out);
  reset();
});

test('unstaged drift with an in-sync index passes, and the drift stays in the working tree', () => {
  repo.write('crates/loom-crate-01/src/lib.rs', `${repo.read('crates/loom-crate-01/src/lib.rs')}\npub fn more() {}\n`);
  repo.git('add', 'crates/loom-crate-01/src/lib.rs');
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n# drift\n`);
  repo.write('Cargo.toml', repo.read('Cargo.toml').replace('debug = 0', 'debug = 2'));
  const r = commit('code only', { all: false });
  assert.is(r.code, 0, r.out);
  assert.match(repo.read('Cargo.lock'), /# drift/);
  assert.match(repo.git('status', '--porcelain'), / M Cargo\.lock/);
  repo.git('checkout', '--', '.');
});

test('a new migration is blocked until nix update stamps it', () => {
  const path = 'crates/loom-server/migrations/011_add_notes.sql';
  repo.write(path, 'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY);\n');
  const r = commit('migration');
  assert.is.not(r.code, 0, r.out);
  assert.ok(r.out.includes(`${path} (added)`), r.out);
  assert.match(r.out, /the staged resources need sha256=[0-9a-f]{64} files=11/);
  assert.ok(r.out.includes(`fix: ${LG} nix update`), r.out);
  const update = repo.lg(['nix', 'update']);
  assert.is(update.code, 0, update.out);
  const ok = commit('migration, stamped');
  assert.is(ok.code, 0, ok.out);
  assert.match(repo.read('Cargo.nix'), /files=11$/m);
});

test('an edited stamp that does not match the resources is blocked', () => {
  repo.write('Cargo.nix', repo.read('Cargo.nix').replace(/(resources-stamp: sha256=)[0-9a-f]{64}/, `$1${'b'.repeat(64)}`));
  const r = commit('stamp');
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, /resources stamp sha256=b{64} files=11 does not match the resources: sha256=[0-9a-f]{64} files=11/);
  reset();
});

test('a malformed Cargo.lock, Cargo.nix or Cargo.toml is one clear line naming the file (hook: failed check; nix check: exit 2)', () => {
  const cases = [
    ['Cargo.lock', (t) => t.replace('[[package]]', '[[package]'), /Cargo\.lock:\d+:\d+: not valid TOML/],
    ['Cargo.nix', (t) => t.replace(/nixifiedLockHash = "[0-9a-f]{64}"/, 'nixifiedLockHash = "zz"'), /Cargo\.nix:\d+: nixifiedLockHash "zz" is not a sha256/],
    ['crates/loom-crate-02/Cargo.toml', (t) => t.replace('[dependencies]', '[dependencies'), /crates\/loom-crate-02\/Cargo\.toml:\d+:\d+: not valid TOML/],
  ];
  for (const [file, spoil, expected] of cases) {
    repo.write(file, spoil(repo.read(file)));
    repo.git('add', '-A');
    const check = repo.lg(['nix', 'check']);
    assert.is(check.code, 2, `${file}: ${check.out}`);
    assert.is(check.stderr.trim().split('\n').length, 1, check.stderr);
    assert.match(check.stderr, expected);
    assert.not.match(check.out, /at .*\.js:\d+/);
    const r = commit(`broken ${file}`);
    assert.is.not(r.code, 0, r.out);
    const lines = nixLines(r.out);
    assert.is(lines.length, 1, r.out);
    assert.match(lines[0], /✖\s+nix-sync/);
    assert.match(lines[0], expected);
    reset();
  }
});

test('nix check: 0 on the committed state, 2 on an old Cargo.nix without lock hash, --json', () => {
  const clean = repo.lg(['nix', 'check', '--json']);
  assert.is(clean.code, 0, clean.out);
  const json = JSON.parse(clean.stdout);
  assert.is(json.verdict, 'in-sync');
  assert.is(json.state, 'committed');
  assert.is(json.lockHash.recorded, sha(repo.read('Cargo.lock')));

  repo.write('Cargo.nix', repo.read('Cargo.nix').replace(/^\s*nixifiedLockHash = .*\n/m, ''));
  repo.commitNoVerify('an old-style Cargo.nix');
  const legacy = repo.lg(['nix', 'check']);
  assert.is(legacy.code, 2, legacy.out);
  assert.match(legacy.out, /cannot tell/);
  // The legacy rule still decides a lock change: without Cargo.nix it is blocked.
  repo.write('Cargo.lock', repo.read('Cargo.lock').replace('name = "loom-crate-new"', 'name = "loom-crate-renamed"'));
  repo.git('add', '-A');
  const changed = repo.lg(['nix', 'check']);
  assert.is(changed.code, 1, changed.out);
  assert.match(changed.out, /Cargo\.lock changed but Cargo\.nix did not/);
  assert.match(changed.out, /only in Cargo\.lock \(1\): loom-crate-renamed 0\.1\.0; only in Cargo\.nix \(1\): loom-crate-new 0\.1\.0/);
  repo.git('reset', '-q', '--hard', 'HEAD~1');
});

test('nix update without a generator: stamp only when the lock hash matches (exit 0), else nothing changes (exit 1)', () => {
  repo.write('.loom-guard.json', '{}\n');
  repo.write('crates/loom-server/migrations/012_more.sql', 'CREATE TABLE IF NOT EXISTS more_notes (id INTEGER);\n');
  const stampOnly = repo.lg(['nix', 'update'], { env: NO_GENERATOR });
  assert.is(stampOnly.code, 0, stampOnly.out);
  assert.match(stampOnly.out, /only the resources stamp was written/);
  assert.match(repo.read('Cargo.nix'), /files=12$/m);

  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  const before = repo.read('Cargo.nix');
  repo.write('crates/loom-server/migrations/013_even_more.sql', 'SELECT 1;\n');
  const refused = repo.lg(['nix', 'update'], { env: NO_GENERATOR });
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, /no generator found/);
  assert.match(refused.out, /is out of sync with Cargo\.lock/);
  assert.match(refused.out, /cargo2nix/);
  assert.is(repo.read('Cargo.nix'), before);
  reset();
});

test('a generator that fails falls back to the stamp-only rule', () => {
  repo.write('crates/loom-server/migrations/012_more.sql', 'CREATE TABLE IF NOT EXISTS more_notes (id INTEGER);\n');
  const r = repo.lg(['nix', 'update'], { env: { FAKE_CARGO2NIX_FAIL: '1' } });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /the generator failed: \S+ \S+fake-cargo2nix\.mjs -o -l exited with 3; Cargo\.nix was not changed\. Its last lines:\n\s+fake-cargo2nix: failing on purpose/);
  assert.match(repo.read('Cargo.nix'), /files=12$/m);
  reset();
});

test('initial commit: checked against the empty tree; a repository without Cargo.nix is inactive', () => {
  const fresh = Repo.init();
  fresh.install();
  fresh.writeAll(scaffold.workspaceFiles(spec));
  fresh.write('Cargo.nix', fresh.read('Cargo.nix').replace(/nixifiedLockHash = "[0-9a-f]{64}"/, `nixifiedLockHash = "${'c'.repeat(64)}"`));
  const bad = fresh.commit('initial', { env: ONLY_NIX });
  assert.is.not(bad.code, 0, bad.out);
  assert.match(bad.out, /is out of sync with Cargo\.lock/);
  fresh.writeAll(scaffold.workspaceFiles(spec));
  const good = fresh.commit('initial', { env: ONLY_NIX });
  assert.is(good.code, 0, good.out);
  fresh.remove();

  const plain = Repo.init();
  plain.install();
  plain.write('Cargo.toml', '[package]\nname = "x"\nversion = "0.1.0"\n');
  const r = plain.commit('no nix', { env: ONLY_NIX });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /nix-sync\s+no Cargo\.nix/);
  const check = plain.lg(['nix', 'check']);
  assert.is(check.code, 0, check.out);
  assert.match(check.out, /no Cargo\.nix/);
  plain.remove();
});

test('a merge commit that brings a regenerated dependency change passes; one whose lock and Cargo.nix disagree is blocked', () => {
  const main = repo.git('rev-parse', '--abbrev-ref', 'HEAD').trim();
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write('crates/loom-crate-02/Cargo.toml', repo.read('crates/loom-crate-02/Cargo.toml').replace('[dependencies]', '[dependencies]\nloom-crate-01 = { path = "../loom-crate-01" }'));
  const lock = repo.read('Cargo.lock').replace(/(name = "loom-crate-02"\nversion = "0.1.0"\ndependencies = \[\n)/, '$1 "loom-crate-01",\n');
  repo.write('Cargo.lock', lock);
  assert.is(repo.lg(['nix', 'update']).code, 0);
  assert.is(commit('crate-02 uses crate-01').code, 0);
  repo.git('checkout', '-q', main);
  repo.write('README.md', 'main moves on\n');
  assert.is(commit('readme').code, 0);
  const merge = repo.tryGit(['merge', '--no-ff', '-q', '-m', 'merge feature', 'feature'], { env: ONLY_NIX });
  assert.is(merge.code, 0, merge.out);
  assert.match(repo.read('Cargo.nix'), /loom_crate_01 = \(rustPackages/);

  // A merge that takes the lock of one side and the Cargo.nix of the other.
  repo.git('checkout', '-q', '-b', 'side', 'HEAD~1');
  repo.write('crates/loom-crate-01/src/lib.rs', `${repo.read('crates/loom-crate-01/src/lib.rs')}\n// side\n`);
  assert.is(commit('side change').code, 0);
  repo.git('checkout', '-q', main);
  const bad = repo.tryGit(['merge', '--no-ff', '--no-commit', 'side'], { env: ONLY_NIX });
  assert.is(bad.code, 0, bad.out);
  repo.git('checkout', 'side', '--', 'Cargo.nix');
  const r = repo.tryGit(['commit', '-q', '--no-edit'], { env: ONLY_NIX });
  assert.is.not(r.code, 0, r.out);
  assert.match(r.out, /Cargo\.nix [0-9a-f]{64} is out of sync with Cargo\.lock [0-9a-f]{64}/);
  repo.git('merge', '--abort');
});

test.after(() => repo.remove());
test.run();
