// Pre-commit follows what cargo records each unit read: a file in crate b's folder that crate a
// reads (include_str!, include!, a build script's rerun-if-changed) checks a too, and a bad version
// blocks the commit. Real git commits through the installed hook, real cargo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './helpers/repo.mjs';
import { cargoTargetFor } from './helpers/snapshot.mjs';
import { BAD_COMPILE, crossRepo } from './helpers/crossWorkspace.mjs';

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url) };
const repo = crossRepo();
repo.install();
// The user has built the workspace once: cargo's records exist.
const built = sh('cargo', ['build', '--workspace', '--offline'], { cwd: repo.dir, env: { ...process.env, ...ENV } });
if (built.code !== 0) throw new Error(built.out);
const base = repo.git('rev-parse', 'HEAD').trim();

test.before.each(() => {
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq', '-e', 'target');
});

for (const [file, bad] of Object.entries(BAD_COMPILE)) {
  test(`a bad ${file} alone checks a, which reads it, and blocks`, () => {
    repo.write(file, bad);
    repo.git('add', file);
    const r = repo.tryGit(['commit', '-q', '-m', `change ${file}`], { env: ENV });
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /2 crates \(a, b\)/);
    assert.match(r.out, file.endsWith('.sql') ? /schema\.sql drops a table/ : file.endsWith('.in') ? /expected expression|unexpected end/ : /data\.txt is too long/);
    assert.is(repo.git('rev-parse', 'HEAD').trim(), base);
  });
}

test('a good change to the same file checks a and b, not c, and commits', () => {
  repo.write('crates/b/data.txt', 'hello there\n');
  repo.git('add', '-A');
  const r = repo.tryGit(['commit', '-q', '-m', 'data'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +clippy +2 crates \(a, b\)/);
});

test('a file outside every crate: nothing when every record is current, the stale crate with the reason when one is stale', () => {
  // The reset between cases rewrote b's files: a's records are older than them until cargo runs again (cargo's own rule).
  const rebuilt = sh('cargo', ['build', '--workspace', '--offline'], { cwd: repo.dir, env: { ...process.env, ...ENV } });
  assert.is(rebuilt.code, 0, rebuilt.out);
  repo.write('docs/notes.md', '# notes\n');
  repo.git('add', 'docs/notes.md');
  // Straight through Node: the hook's shim does not start Node for a file no check names.
  const quiet = repo.lg(['pre-commit'], { env: ENV });
  assert.is(quiet.code, 0, quiet.out);
  assert.match(quiet.out, /clippy +no Rust changes staged/, quiet.out);
  const later = Date.now() / 1000 + 120;
  utimesSync(join(repo.dir, 'crates/c/src/lib.rs'), later, later);
  const wide = repo.lg(['pre-commit'], { env: ENV });
  assert.is(wide.code, 0, wide.out);
  // c may read it now (its records are older than its source): c joins, a and b are proven not to read it.
  assert.match(wide.out, /clippy +1 crate \(c; c may read docs\/notes\.md: the dep-info of c is older than crates\/c\/src\/lib\.rs\)/);
});

test.after(() => repo.remove());

test.run();
