// `loom-guard check [ID...] [--staged | --all | --range A..B] [--files PATH...] [--json]` on a real
// generated workspace with real cargo: ids pick checks, --files picks paths (the working tree, or
// with --staged the index), --all judges HEAD's whole tree, --json always answers on stdout.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LG } from './helpers/repo.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';
import { cargoTargetFor } from './helpers/snapshot.mjs';

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url) };
const { repo } = await workspaceRepo({ crates: 4, install: false });
const base = repo.git('rev-parse', 'HEAD').trim();
const LIB1 = 'crates/loom-crate-01/src/lib.rs';
const LIB2 = 'crates/loom-crate-02/src/lib.rs';
const DIR = 'crates/loom-server/migrations';
const lint = '\npub fn x(v: u64) -> u64 {\n    return v;\n}\n';
const good = '\npub fn y(v: u64) -> u64 {\n    v + 1\n}\n';
const lg = (args) => repo.lg(args, { env: ENV });
/** The ids of the check lines a run printed. */
const lines = (out) => [...out.matchAll(/^[✔✖⚠·-] (\S+)\s/gm)].map((m) => m[1]);

function reset() {
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq');
}
test.before.each(reset);

test('ids pick checks: check clippy --files runs clippy alone, on the crate of the named file, as it is in the working tree', () => {
  repo.write(LIB1, repo.read(LIB1) + lint); // not staged
  const r = lg(['check', 'clippy', '--files', LIB1]);
  assert.is(r.code, 1, r.out);
  assert.equal(lines(r.out), ['clippy'], r.out);
  assert.match(r.out, /✖ clippy\s+1 crate \(loom-crate-01\)/);
  assert.match(r.out, /unneeded `return` statement/);
  assert.match(r.out, /loom-guard check --files: 0 passed, 1 failed/);
  // The same edit is not staged: the staged check has nothing of it.
  const staged = lg(['check', 'clippy']);
  assert.is(staged.code, 0, staged.out);
  // Another crate's file: that crate only, and it passes.
  const other = lg(['check', 'clippy', 'fmt', '--files', 'crates/loom-crate-02']);
  assert.is(other.code, 0, other.out);
  assert.equal(lines(other.out), ['fmt', 'clippy'], other.out);
  assert.match(other.out, /✔ clippy\s+1 crate \(loom-crate-02\)/);
  assert.equal(repo.git('status', '--porcelain'), ` M ${LIB1}\n`, 'the working tree is left as it was');
});

test('--staged --files: the staged changes to those paths only, on their staged content', () => {
  repo.write(LIB1, repo.read(LIB1) + lint);
  repo.write(LIB2, repo.read(LIB2) + good);
  repo.git('add', '-A');
  const only2 = lg(['check', 'clippy', 'build', '--staged', '--files', LIB2]);
  assert.is(only2.code, 0, only2.out);
  assert.match(only2.out, /✔ clippy\s+1 crate \(loom-crate-02\)/);
  assert.not.match(only2.out, /loom-crate-01/);
  const both = lg(['check', 'clippy', '--staged', '--files', 'crates']);
  assert.is(both.code, 1, both.out);
  assert.match(both.out, /✖ clippy\s+2 crates \(loom-crate-01, loom-crate-02\)/);
});

test('usage: an unknown id says which one was meant, exit 2; --files does not combine with --all; a path where an id was expected', () => {
  const typo = lg(['check', 'tests']);
  assert.is(typo.code, 2);
  assert.is(typo.stderr.trim().split('\n').length, 1);
  assert.match(typo.stderr, /unknown check id "tests" \(did you mean "test"\?\); valid ids: nix-sync, migrations, fmt, clippy, build, test, lint-staged/);
  assert.match(lg(['check', 'clipy']).stderr, /did you mean "clippy"/);
  const both = lg(['check', '--all', '--files', LIB1]);
  assert.is(both.code, 2);
  assert.match(both.stderr, /--files picks paths of the working tree/);
  const path = lg(['check', LIB1]);
  assert.is(path.code, 2);
  assert.ok(path.stderr.includes(`to check files, name them after --files (${LG} check --files ${LIB1})`), path.stderr);
  const missing = lg(['check', '--files', 'no/such/file.rs']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /check --files: no\/such\/file\.rs: no such file or folder/);
  // test runs on pushed tips only: said, not silently dropped.
  const tipOnly = lg(['check', 'test']);
  assert.is(tipOnly.code, 0, tipOnly.out);
  assert.ok(tipOnly.out.includes(`test runs only on pushed tips: ${LG} check test --all`), tipOnly.out);
  assert.equal(lines(tipOnly.out), []);
});

test('--staged --json prints the results as JSON on stdout (pass and fail), the report stays on stderr', () => {
  repo.write(LIB1, repo.read(LIB1) + lint);
  repo.git('add', '-A');
  const r = lg(['check', '--staged', '--json', 'nix-sync', 'clippy']);
  assert.is(r.code, 1, r.out);
  const json = JSON.parse(r.stdout);
  assert.is(json.exitCode, 1);
  assert.is(json.mode, 'staged');
  assert.equal(json.checks.sort(), ['clippy', 'nix-sync']);
  assert.equal(json.results.map((x) => [x.id, x.status]), [['nix-sync', 'pass'], ['clippy', 'fail']]);
  assert.match(json.results[1].fix, /cargo clippy --profile dev-fast -p loom-crate-01/);
  assert.match(r.stderr, /✖ clippy/);
  reset();
  const ok = lg(['check', '--json']);
  assert.is(ok.code, 0, ok.out);
  assert.is(JSON.parse(ok.stdout).exitCode, 0);
  // A usage error answers in JSON too.
  const bad = lg(['check', 'tests', '--json']);
  assert.is(bad.code, 2);
  assert.match(JSON.parse(bad.stdout).error, /did you mean "test"/);
});

test('--all judges the whole tree: a broken, unregistered, unstamped migration two commits back fails though HEAD is clean', () => {
  // Two commits back: a migration that is not registered, not replay-safe, and not in Cargo.nix's stamp.
  repo.write(`${DIR}/011_seed.sql`, 'CREATE TABLE IF NOT EXISTS seed (id INTEGER);\nINSERT INTO seed (id) VALUES (1);\n');
  repo.commitNoVerify('add a seed migration');
  repo.write('README.md', '# one\n');
  repo.commitNoVerify('docs');
  repo.write('README.md', '# two\n');
  repo.commitNoVerify('more docs');
  // What HEAD's own commit holds is clean: the per-commit rules on it pass.
  const own = lg(['check', 'migrations', 'nix-sync', '--range', 'HEAD~1..HEAD']);
  assert.is(own.code, 0, own.out);
  const all = lg(['check', 'migrations', 'nix-sync', '--all']);
  assert.is(all.code, 1, all.out);
  assert.match(all.out, /HEAD\s+whole tree at [0-9a-f]{7}/);
  assert.equal(lines(all.out), ['nix-sync', 'migrations'], all.out);
  assert.match(all.out, /✖ nix-sync\s+Cargo\.nix out of sync/);
  assert.match(all.out, /resources stamp sha256=[0-9a-f]{64} files=10 does not match the resources: sha256=[0-9a-f]{64} files=11/);
  assert.match(all.out, /✖ migrations\s+\d+ problems? in crates\/loom-server\/migrations/);
  assert.match(all.out, /011_seed\.sql.*(not registered|never runs|include_str)/i);
  assert.match(all.out, /011_seed\.sql.*INSERT/);
  const json = JSON.parse(lg(['check', 'migrations', 'nix-sync', '--all', '--json']).stdout);
  assert.is(json.mode, 'all');
  assert.equal(json.results.map((x) => [x.id, x.status]), [['nix-sync', 'fail'], ['migrations', 'fail']]);
});

test('--all: fmt, clippy and build on the whole workspace, whatever pushScope says', () => {
  repo.write('.loom-guard.json', '{ "pushScope": "affected" }\n');
  repo.commitNoVerify('config');
  const r = lg(['check', 'fmt', '--all']);
  assert.is(r.code, 0, r.out);
  assert.equal(lines(r.out), ['fmt'], r.out);
  assert.match(r.out, /✔ fmt\s+workspace/);
});

test.after(() => repo.remove());
test.run();
