// cargo's dep-info as a map from files to the crates that read them: rustc's `.d` records and build
// scripts' `rerun-if-changed` lines, parsed from their text, then read from a real build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sh } from './helpers/repo.mjs';
import { cargoTargetFor } from './helpers/snapshot.mjs';
import { crossRepo } from './helpers/crossWorkspace.mjs';

const dep = await import(join(ROOT, 'dist/cargo/depInfo.js'));
const aff = await import(join(ROOT, 'dist/cargo/affected.js'));

const MEMBERS = [
  { name: 'a', dir: 'crates/a', deps: [] },
  { name: 'b', dir: 'crates/b', deps: [] },
  { name: 'c', dir: 'crates/c', deps: ['b'] },
];

test('a .d record: every prerequisite once, escaped spaces, comment lines skipped', () => {
  const text = [
    '/t/debug/deps/a-1.d: crates/a/src/lib.rs crates/a/src/../../b/data\\ file.txt crates/a/src/m.rs',
    '',
    '/t/debug/deps/liba-1.rlib: crates/a/src/lib.rs crates/a/src/../../b/data\\ file.txt crates/a/src/m.rs',
    '',
    'crates/a/src/lib.rs:',
    'crates/a/src/../../b/data\\ file.txt:',
    '# env-dep:CARGO_PKG_NAME=a',
    '# checksum:blake3=00 file_len:3 crates/a/src/lib.rs',
  ].join('\n');
  assert.equal(dep.parseDepFile(text), ['crates/a/src/lib.rs', 'crates/a/src/../../b/data file.txt', 'crates/a/src/m.rs']);
  const unit = dep.rustcUnit(text, '/t/a-1.d', 5, '/repo', '/repo', MEMBERS);
  assert.equal(unit.crate, 'a');
  assert.equal(unit.reads, ['crates/a/src/lib.rs', 'crates/b/data file.txt', 'crates/a/src/m.rs']);
  // A registry crate reads nothing in the repository: no unit.
  assert.is(dep.rustcUnit('/t/x.d: /home/u/.cargo/registry/src/x/lib.rs\n', '/t/x.d', 1, '/repo', '/repo', MEMBERS), null);
});

test('a build script: rerun-if-changed in both spellings, relative to the package; none means its whole package', () => {
  assert.equal(dep.parseBuildOutput('cargo:rustc-cfg=x\ncargo:rerun-if-changed=../b/schema.sql\ncargo::rerun-if-changed=build.rs\n'), ['../b/schema.sql', 'build.rs']);
  assert.is(dep.buildDirPackage('loom-core-0123456789abcdef'), 'loom-core');
  assert.is(dep.buildDirPackage('odd'), null);
  const run = dep.buildRunUnit('cargo:rerun-if-changed=../b/schema.sql\n', 'out', 1, MEMBERS[0], '/repo');
  assert.equal(run.reads, ['crates/b/schema.sql']);
  const whole = dep.buildRunUnit('cargo:rustc-env=X=1\n', 'out', 1, MEMBERS[1], '/repo');
  assert.is(whole.wholePackage, 'crates/b');
  const info = new dep.DepInfo([run, whole], [], '/t');
  assert.equal([...info.readersOf('crates/b/schema.sql')].sort(), ['a', 'b']);
  assert.equal([...info.readersOf('crates/b/notes.md')], ['b']);
  assert.equal([...info.readersOf('README.md')], []);
});

test('currency: per target the newest record counts; missing and stale members are named', () => {
  const unit = (crate, target, mtimeMs, reads) => ({ crate, target, mtimeMs, reads, file: `${crate}-${mtimeMs}` });
  const units = [unit('a', 'crates/a/src/lib.rs', 10, ['crates/a/src/lib.rs']), unit('a', 'crates/a/src/lib.rs', 30, ['crates/a/src/lib.rs']), unit('b', 'crates/b/src/lib.rs', 10, ['crates/b/src/lib.rs'])];
  const times = { 'crates/a/src/lib.rs': 20, 'crates/b/src/lib.rs': 20 };
  const newest = (u) => u.reads.map((f) => ({ file: f, mtimeMs: times[f] })).sort((x, y) => y.mtimeMs - x.mtimeMs)[0];
  assert.equal(dep.currency(units, MEMBERS, newest), [
    { crate: 'b', why: 'stale', file: 'crates/b/src/lib.rs' },
    { crate: 'c', why: 'missing' },
  ]);
});

test('the rule: readers by record and by folder; outside files widen only while some record is missing or stale', () => {
  const reads = new Map([['crates/b/data.txt', new Set(['a'])], ['vendor/x/lib.rs', new Set([null])]]);
  const index = (notCurrent = []) => ({ readersOf: (p) => reads.get(p) ?? new Set(), notCurrent });
  // b's file reaches a (which reads it), b (which holds it) and c (which depends on b).
  assert.equal(aff.affectedCrates(['crates/b/data.txt'], MEMBERS, index()), { workspace: true, because: 'every crate is affected' });
  const apart = MEMBERS.map((m) => ({ ...m, deps: [] }));
  assert.equal(aff.affectedCrates(['crates/b/data.txt'], apart, index()), { workspace: false, changed: ['b'], affected: ['a', 'b'] });
  assert.equal(aff.affectedCrates(['crates/a/src/lib.rs'], MEMBERS, index()), { workspace: false, changed: ['a'], affected: ['a'] });
  assert.equal(aff.affectedCrates(['README.md'], MEMBERS, index()), { workspace: false, changed: [], affected: [] });
  // A crate without current records may read the file: it joins (with its dependents), the others are proven not to.
  assert.equal(aff.affectedCrates(['README.md'], MEMBERS, index([{ crate: 'c', why: 'missing' }])), { workspace: false, changed: [], affected: ['c'], because: 'c may read README.md: c has no dep-info yet' });
  assert.equal(aff.affectedCrates(['README.md'], MEMBERS, index([{ crate: 'b', why: 'stale', file: 'crates/b/src/lib.rs' }])), { workspace: false, changed: [], affected: ['b', 'c'], because: 'b may read README.md: the dep-info of b is older than crates/b/src/lib.rs' });
  // At push a stale crate may read any changed file, inside a crate folder too.
  assert.equal(aff.affectedCrates(['crates/a/src/lib.rs'], apart, index([{ crate: 'b', why: 'missing' }])).affected, ['a', 'b']);
  // When that leaves no crate out, the workspace, with the first reason.
  const all = index([{ crate: 'a', why: 'stale', file: 'crates/a/src/lib.rs' }, { crate: 'b', why: 'missing' }, { crate: 'c', why: 'missing' }]);
  assert.equal(aff.affectedCrates(['README.md'], MEMBERS, all), { workspace: true, because: 'README.md is outside every crate and the dep-info of a is older than crates/a/src/lib.rs' });
  assert.is(aff.affectedCrates(['vendor/x/lib.rs'], MEMBERS, index()).because, 'vendor/x/lib.rs is read by a crate that is no workspace member');
  assert.is(aff.affectedCrates(['crates/rustfmt.toml'], MEMBERS, index()).workspace, true);
  // Pre-commit: a crate's own manifest is that crate; a staged data file reaches its readers.
  assert.equal(aff.selectReading(['crates/b/data.txt'], MEMBERS, index()), { workspace: false, crates: ['a', 'b'] });
  assert.equal(aff.selectReading(['crates/c/Cargo.toml', 'docs/x.md'], MEMBERS, index()), { workspace: false, crates: ['c'] });
  assert.equal(aff.selectReading(['docs/x.md'], MEMBERS, index([{ crate: 'c', why: 'missing' }])), { workspace: false, crates: ['c'], because: 'c may read docs/x.md: c has no dep-info yet' });
  // Pre-commit: a staged file in a crate folder does not ask what a stale crate reads (a push does).
  assert.equal(aff.selectReading(['crates/a/src/lib.rs'], MEMBERS, index([{ crate: 'c', why: 'missing' }])), { workspace: false, crates: ['a'] });
});

test('a real build: a reads b/data.txt, b/expr.in and b/schema.sql; a source touched later makes its crate stale', async () => {
  const repo = crossRepo();
  const target = cargoTargetFor(import.meta.url);
  try {
    const missing = await dep.loadDepInfo({ repoRoot: repo.dir, targetDir: join(repo.dir, 'target'), members: MEMBERS });
    assert.equal(missing.notCurrent.map((n) => n.why), ['missing', 'missing', 'missing']);
    const built = sh('cargo', ['test', '--workspace', '--no-run', '--offline'], { cwd: repo.dir, env: { ...process.env, CARGO_TARGET_DIR: target } });
    assert.is(built.code, 0, built.out);
    const info = await dep.loadDepInfo({ repoRoot: repo.dir, targetDir: target, members: MEMBERS });
    for (const f of ['crates/b/data.txt', 'crates/b/expr.in', 'crates/b/schema.sql']) assert.ok(info.readersOf(f).has('a'), f);
    assert.equal([...info.readersOf('crates/b/src/lib.rs')], ['b']);
    assert.equal([...info.readersOf('README.md')], []);
    assert.equal(info.notCurrent, []);
    const later = Date.now() / 1000 + 60;
    utimesSync(join(repo.dir, 'crates/c/src/lib.rs'), later, later);
    const stale = await dep.loadDepInfo({ repoRoot: repo.dir, targetDir: target, members: MEMBERS });
    assert.equal(stale.notCurrent, [{ crate: 'c', why: 'stale', file: 'crates/c/src/lib.rs' }]);
  } finally {
    repo.remove();
  }
});

test('the target folder: CARGO_TARGET_DIR, then the workspace config, then target/', async () => {
  const repo = crossRepo();
  try {
    assert.is(await dep.targetDirOf(repo.dir, { CARGO_TARGET_DIR: 'out' }), join(repo.dir, 'out'));
    assert.is(await dep.targetDirOf(repo.dir, {}), join(repo.dir, 'target'));
    repo.write('.cargo/config.toml', '[build]\ntarget-dir = "build-out"\n');
    assert.is(await dep.targetDirOf(repo.dir, {}), join(repo.dir, 'build-out'));
  } finally {
    repo.remove();
  }
});

test.run();
