// pushScope "affected": after a tree passed the full check, a push builds and tests only the crates
// changed since then (or whose units read a changed file) and their reverse dependencies; workspace
// files mean everything, files no unit reads nothing. Real `git push` through the installed hook,
// real cargo, a bare remote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { scaffold, embeddedMigrations } from './helpers/workspace.mjs';

const affected = await import(join(ROOT, 'dist/cargo/affected.js'));

// A cargo on PATH that logs each call, then runs the real one: proves which commands ran.
const realCargo = sh('sh', ['-c', 'command -v cargo']).stdout.trim();
const shimDir = tempDir('loom-guard-cargo-shim-');
const cargoLog = join(shimDir, 'calls.log');
writeFileSync(join(shimDir, 'cargo'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${cargoLog}'\nexec '${realCargo}' "$@"\n`);
chmodSync(join(shimDir, 'cargo'), 0o755);
const ENV = { PATH: `${shimDir}:${process.env.PATH}` };
const calls = () => (existsSync(cargoLog) ? readFileSync(cargoLog, 'utf8').trim().split('\n').filter(Boolean) : []);
const clearCalls = () => rmSync(cargoLog, { force: true });

// core <- server, crate-01 <- crate-02: crate-02's test depends on what crate-01 computes.
const spec = scaffold.loomWorkspace(4, await embeddedMigrations());
spec.crates.find((c) => c.name === 'loom-crate-02').deps.push('loom-crate-01');
const repo = Repo.init();
repo.writeAll(scaffold.workspaceFiles(spec));
repo.write('crates/loom-crate-02/tests/compute.rs', '#[test]\nfn computes() {\n    assert_eq!(loom_crate_02::compute(1), 4);\n}\n');
repo.commitNoVerify('workspace');
repo.install();
const remote = tempDir('loom-guard-remote-');
sh('git', ['init', '-q', '--bare', remote]);
repo.git('remote', 'add', 'origin', remote);
const LIB1 = 'crates/loom-crate-01/src/lib.rs';
const LIB2 = 'crates/loom-crate-02/src/lib.rs';
const push = () => repo.tryGit(['push', 'origin', 'main'], { env: ENV });
const remoteHead = () => sh('git', ['rev-parse', 'refs/heads/main'], { cwd: remote }).stdout.trim();
const short = (rev) => repo.git('rev-parse', '--short=7', rev).trim();

test('the rule: changed crates and their reverse dependencies; workspace files and outside files mean everything', () => {
  const members = [
    { name: 'core', dir: 'crates/core', deps: [] },
    { name: 'mid', dir: 'crates/mid', deps: ['core'] },
    { name: 'top', dir: 'crates/top', deps: ['mid'] },
    { name: 'other', dir: 'crates/other', deps: [] },
  ];
  // Every crate's dep-info current, and no unit reading across folders: the folder rule.
  const current = { readersOf: () => new Set(), notCurrent: [] };
  assert.equal(affected.affectedCrates(['crates/mid/src/lib.rs'], members, current), { workspace: false, changed: ['mid'], affected: ['mid', 'top'] });
  assert.equal(affected.affectedCrates(['crates/other/x.sql'], members, current), { workspace: false, changed: ['other'], affected: ['other'] });
  assert.is(affected.affectedCrates(['crates/core/src/lib.rs', 'crates/other/src/lib.rs'], members, current).workspace, true, 'every crate affected');
  assert.equal(affected.affectedCrates(['README.md'], members, current), { workspace: false, changed: [], affected: [] }, 'read by no unit');
  // Without any dep-info, nothing says what a crate reads: the workspace.
  assert.is(affected.affectedCrates(['crates/mid/src/lib.rs'], members).workspace, true, 'no records');
  for (const f of ['Cargo.toml', 'Cargo.lock', 'rust-toolchain.toml', '.cargo/config.toml', 'clippy.toml', 'rustfmt.toml', 'README.md', 'crates/gone/src/lib.rs', 'crates/other/Cargo.toml']) {
    assert.is(affected.affectedCrates(['crates/other/src/lib.rs', f], members).workspace, true, f);
  }
});

test('first push: the whole workspace', () => {
  const r = push();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔\s+test\s+workspace/);
});

test('a change in one crate that breaks a dependent crate\'s test still blocks; only the affected crates run', () => {
  const base = short('main');
  repo.write(LIB1, repo.read(LIB1).replace('add(n, 1)', 'add(n, 2)'));
  repo.commitNoVerify('crate-01 computes differently');
  clearCalls();
  const r = push();
  assert.is(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`✖\\s+test\\s+cargo test on 2 crates \\(loom-crate-01, loom-crate-02\\) affected since ${base} failed`));
  assert.match(r.out, /computes/);
  assert.match(r.out, new RegExp(`✔\\s+fmt\\s+1 crate \\(loom-crate-01\\) changed since ${base}`));
  assert.ok(calls().includes('test -p loom-crate-01 -p loom-crate-02'), calls().join('\n'));
  assert.not.ok(calls().some((c) => /--workspace|loom-server|loom-common-core/.test(c)), calls().join('\n'));
  assert.is.not(remoteHead(), repo.git('rev-parse', 'main').trim());
  // The dependent's expectation follows: the push passes, still measured from the tree that passed.
  repo.write('crates/loom-crate-02/tests/compute.rs', repo.read('crates/loom-crate-02/tests/compute.rs').replace('4);', '5);'));
  repo.commitNoVerify('crate-02 expects it');
  const ok = push();
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, new RegExp(`✔\\s+test\\s+2 crates \\(loom-crate-01, loom-crate-02\\) affected since ${base}`));
  assert.is(remoteHead(), repo.git('rev-parse', 'main').trim());
});

test('a leaf crate alone; then a file outside every crate that no unit reads keeps the verdict', () => {
  const base = short('main');
  repo.write(LIB2, `${repo.read(LIB2)}\npub fn leaf() -> u64 {\n    2\n}\n`);
  repo.commitNoVerify('leaf');
  const r = push();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`✔\\s+clippy\\s+1 crate \\(loom-crate-02\\) affected since ${base}`));
  repo.write('notes.txt', 'a build script could read this\n');
  repo.commitNoVerify('notes');
  const w = push();
  assert.is(w.code, 0, w.out);
  assert.match(w.out, /✔\s+test\s+no crate reads the changes since [0-9a-f]{7}: its verdict stands/);
});

test('check --range uses the same rule', () => {
  const base = short('main');
  repo.write(LIB2, `${repo.read(LIB2)}\npub fn leaf2() -> u64 {\n    3\n}\n`);
  repo.commitNoVerify('leaf 2');
  const r = repo.lg(['check', '--range', 'HEAD~1..HEAD']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`✔\\s+test\\s+1 crate \\(loom-crate-02\\) affected since ${base}`));
});

test('pushScope "workspace": every crate, every push', () => {
  repo.write('.loom-guard.json', '{ "pushScope": "workspace" }\n');
  repo.commitNoVerify('config');
  repo.write(LIB2, `${repo.read(LIB2)}\npub fn leaf3() -> u64 {\n    4\n}\n`);
  repo.commitNoVerify('leaf 3');
  const r = push();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔\s+test\s+workspace\s/);
  assert.not.match(r.out, /affected since/);
});

test.after(() => {
  repo.remove();
  rmSync(remote, { recursive: true, force: true });
  rmSync(shimDir, { recursive: true, force: true });
});

test.run();
