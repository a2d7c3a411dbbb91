import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cargoTargetFor, snapshot } from './helpers/snapshot.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

/*
 * `"fmt": "fix"` through real `git commit`: the staged Rust files are formatted and the result
 * committed; a working-tree copy with unstaged edits is formatted too, its edits kept; a file whose
 * fix cannot reach the user's version blocks with the file to stage, leaving everything as it was.
 */

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url) };
const LIB = 'crates/loom-common-core/src/lib.rs';
const UGLY = 'pub fn add(a: u64, b: u64) -> u64 {\n    a + b\n}\n\npub   fn   twice( x:u64 )->u64{ x*2 }\n';
const PRETTY = 'pub fn add(a: u64, b: u64) -> u64 {\n    a + b\n}\n\npub fn twice(x: u64) -> u64 {\n    x * 2\n}\n';

const { repo } = await workspaceRepo({ crates: 2, install: false });
repo.write('.loom-guard.json', JSON.stringify({ fmt: 'fix' }));
repo.commitNoVerify('fmt fix');
repo.install();

function clean() {
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
}

test('staged Rust is formatted and committed; the report names the file', () => {
  repo.write(LIB, UGLY);
  repo.git('add', LIB);
  const c = repo.tryGit(['commit', '-q', '-m', 'ugly'], { env: ENV });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, new RegExp(`✔ fmt\\s+reformatted and staged ${LIB}`));
  assert.is(repo.git('show', `HEAD:${LIB}`), PRETTY);
  assert.is(repo.read(LIB), PRETTY, 'the working tree shows what was committed');
});

test('a reformatted file with unstaged edits: its working copy is formatted too, the edits kept; other files byte for byte', () => {
  repo.write(LIB, PRETTY.replace('x * 2', 'x*3').replace('pub fn twice(x: u64)', 'pub  fn twice(x: u64)'));
  repo.git('add', LIB);
  // Unstaged on top: a new, unformatted function at the end.
  const mine = `${PRETTY.replace('x * 2', 'x*3').replace('pub fn twice(x: u64)', 'pub  fn twice(x: u64)')}\npub fn mine( )->u8{ 7 }\n`;
  repo.write(LIB, mine);
  repo.write('crates/loom-common-core/src/notes.txt', 'untracked\n');
  const server = repo.read('crates/loom-server/src/lib.rs');
  repo.write('crates/loom-server/src/lib.rs', `${server}// unstaged\n`);
  const c = repo.tryGit(['commit', '-q', '-m', 'partly staged'], { env: ENV });
  assert.is(c.code, 0, c.out);
  const committed = PRETTY.replace('x * 2', 'x * 3');
  assert.is(repo.git('show', `HEAD:${LIB}`), committed);
  assert.is(repo.read(LIB), `${committed}\npub fn mine() -> u8 {\n    7\n}\n`, 'the unstaged function survives, formatted');
  assert.is(repo.read('crates/loom-common-core/src/notes.txt'), 'untracked\n');
  assert.is(repo.read('crates/loom-server/src/lib.rs'), `${server}// unstaged\n`);
  clean();
});

test('when the fix cannot reach an unparseable unstaged version on the same lines, the commit blocks and nothing changes', () => {
  repo.write(LIB, PRETTY.replace('x * 2', 'x*4'));
  repo.git('add', LIB);
  repo.write(LIB, PRETTY.replace('x * 2', 'x*4 +'));
  const before = snapshot(repo.dir);
  const c = repo.tryGit(['commit', '-q', '-m', 'blocked'], { env: ENV });
  assert.is(c.code, 1, c.out);
  assert.match(c.out, new RegExp(`stage it first \\(git add ${LIB}\\)`));
  assert.equal(snapshot(repo.dir), before);
  clean();
});

// Rust only (fmt): the build steps are not what these cases are about.
const FMT_ONLY = { ...ENV, LOOM_GUARD_SKIP: 'clippy,build' };

for (const form of [['--', LIB], ['--only', '--', LIB]]) {
  test(`git commit ${form.join(' ')}: the commit and the index both hold the formatted file (no MM), the tree too`, () => {
    repo.write(LIB, UGLY);
    repo.write('crates/loom-common-core/src/notes.txt', 'untracked\n');
    const c = repo.tryGit(['commit', '-q', '-m', 'ugly by path', ...form], { env: FMT_ONLY });
    assert.is(c.code, 0, c.out);
    assert.is(repo.git('show', `HEAD:${LIB}`), PRETTY, 'committed formatted');
    assert.is(repo.git('show', `:${LIB}`), PRETTY, 'the index holds the formatted file too');
    assert.is(repo.read(LIB), PRETTY, 'and the working tree');
    assert.is(repo.git('status', '--porcelain', '--', LIB), '', 'no MM');
    assert.is(repo.read('crates/loom-common-core/src/notes.txt'), 'untracked\n');
    clean();
  });
}

test('cargoArgs.fmt tool options (a rustfmt --config) format the working copy too: no spurious changed lines', () => {
  repo.write('.loom-guard.json', JSON.stringify({ fmt: 'fix', cargoArgs: { fmt: ['--', '--config', 'tab_spaces=2'] } }));
  repo.commitNoVerify('fmt with tab_spaces=2');
  const two = (text) => text.replace(/^ {4}/gm, '  ');
  repo.write(LIB, UGLY);
  repo.git('add', LIB);
  repo.write(LIB, `${UGLY}\npub fn mine( )->u8{ 7 }\n`);
  const c = repo.tryGit(['commit', '-q', '-m', 'two spaces'], { env: FMT_ONLY });
  assert.is(c.code, 0, c.out);
  assert.is(repo.git('show', `HEAD:${LIB}`), two(PRETTY), 'committed with the option');
  assert.is(repo.read(LIB), `${two(PRETTY)}\npub fn mine() -> u8 {\n  7\n}\n`, 'the working copy formatted with it too');
  assert.is(repo.git('diff', '--numstat', '--', LIB), `4\t0\t${LIB}\n`, 'only the unstaged function differs');
  repo.write('.loom-guard.json', JSON.stringify({ fmt: 'fix' }));
  repo.git('add', '.loom-guard.json');
  repo.commitNoVerify('fmt fix');
  clean();
});

test.after(() => repo.remove());
test.run();
