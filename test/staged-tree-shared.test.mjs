import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cargoTargetFor, snapshot } from './helpers/snapshot.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

/*
 * One StagedTree per pre-commit (issue #20): the Rust group (fmt, clippy, build) and lint-staged
 * share one hide, one journal and one restore. Real `git commit` through the installed hook on a
 * generated workspace with a web/ package whose lint-staged config runs a fixer (`var` -> `let`)
 * and a linter. LOOM_GUARD_DEBUG=1 makes StagedTree itself print a line when it opens (and what it
 * hid, with its journal's start time) and when it restores: the tests count those lines.
 */

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url), LOOM_GUARD_DEBUG: '1' };
// Where the cargo steps are not the point, fmt alone still runs the Rust group in the shared tree.
const FMT_ONLY = { ...ENV, LOOM_GUARD_SKIP: 'clippy,build' };
const LIB = 'crates/loom-common-core/src/lib.rs';
const APP = 'web/src/app.js';
const WEB = {
  'web/package.json': JSON.stringify({ name: 'web', private: true, 'lint-staged': { '*.js': ['node tools/fix.mjs', 'node tools/lint.mjs'] } }, null, 2) + '\n',
  'web/tools/fix.mjs': `import { readFileSync, writeFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  const t = readFileSync(f, 'utf8');
  const u = t.replace(/\\bvar\\b/g, 'let');
  if (u !== t) writeFileSync(f, u);
}
`,
  'web/tools/lint.mjs': `import { readFileSync } from 'node:fs';
let bad = 0;
for (const f of process.argv.slice(2)) if (readFileSync(f, 'utf8').includes('BAD')) { console.error(f + ': contains BAD'); bad = 1; }
process.exit(bad);
`,
  [APP]: 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n',
};

const { repo } = await workspaceRepo({ crates: 2, install: false });
repo.writeAll(WEB);
repo.commitNoVerify('web package');
repo.install();
const lib = repo.read(LIB);

function clean() {
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
}

const count = (out, re) => (out.match(new RegExp(re, 'gm')) ?? []).length;

/**
 * A partly staged Rust file, a partly staged web file whose staged text the fixer rewrites (line 1)
 * with an unstaged edit further down (line 6), and an untracked file: what both checks must not see.
 */
function partlyStaged(n) {
  const stagedLib = `${lib}\npub fn staged_${n}() -> u64 {\n    ${n}\n}\n`;
  repo.write(LIB, stagedLib);
  repo.write(APP, `var a = ${n};\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n`);
  repo.git('add', LIB, APP);
  const userLib = `${stagedLib}\npub fn unstaged_${n}() -> u64 {\n    ${n} +\n}\n`; // does not compile: hidden or clippy fails
  const userApp = `var a = ${n};\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n`;
  repo.write(LIB, userLib);
  repo.write(APP, userApp);
  repo.write('notes/draft.txt', `untracked draft ${n}\n`);
  return { stagedLib, userLib, userApp };
}

test('a commit with the Rust group and a lint-staged fixer hides and restores once, and every byte is back', () => {
  const { stagedLib, userLib } = partlyStaged(1);
  const c = repo.tryGit(['commit', '-q', '-m', 'both checks'], { env: ENV });
  assert.is(c.code, 0, c.out);
  // Both checks ran, in the usual order, in one tree.
  assert.match(c.out, /✔ fmt[^]*✔ clippy[^]*✔ build[^]*✔ lint-staged\s+1 file \(web\); fixed and staged web\/src\/app\.js/);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened'), 1, c.out);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened; hid 3 item\\(s\\)'), 1, c.out);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: journal of .* made for a fix'), 0, c.out);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: restoring'), 1, c.out);
  const journal = /hid 3 item\(s\), journal of (\S+)/.exec(c.out)?.[1];
  assert.match(c.out, `restoring from the journal of ${journal}`);
  // The restore's line comes before the report lines of the last check, as with a tree per check.
  assert.ok(c.out.indexOf('staged tree: restoring') < c.out.indexOf('✔ lint-staged'), c.out);
  // Committed: the staged text with the fix; the working tree: the user's text with the fix merged.
  assert.is(repo.git('show', `HEAD:${LIB}`), stagedLib);
  assert.is(repo.git('show', `HEAD:${APP}`), 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  assert.is(repo.read(LIB), userLib);
  assert.is(repo.read(APP), 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n');
  assert.is(repo.read('notes/draft.txt'), 'untracked draft 1\n');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')), 'the one journal is gone');
  clean();
});

test('a commit where nothing differs from the index hides nothing and writes no journal', () => {
  repo.write(LIB, `${lib}\npub fn clean_commit() -> u64 {\n    2\n}\n`);
  repo.write('web/src/clean.js', 'export const clean = 1;\n');
  repo.git('add', LIB, 'web/src/clean.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'nothing to hide'], { env: FMT_ONLY });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /✔ fmt[^]*✔ lint-staged/);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened; nothing to hide$'), 1, c.out);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened'), 1, c.out);
  assert.is(count(c.out, 'journal of'), 0, c.out);
  clean();
});

test('SIGKILL between the Rust group and lint-staged: the next run puts every byte back', () => {
  partlyStaged(2);
  const before = snapshot(repo.dir);
  const c = repo.tryGit(['commit', '-q', '-m', 'killed'], { env: { ...FMT_ONLY, LOOM_GUARD_TEST_FAULT: 'SIGKILL@between checks' } });
  assert.is.not(c.code, 0, c.out);
  assert.match(c.out, /✔ fmt/, 'killed after the Rust group ran');
  assert.not.match(c.out, /lint-staged\s+1 file/, 'and before lint-staged ran');
  // Killed with the files hidden: the working tree shows the index, the journal is on disk.
  assert.ok(existsSync(join(repo.dir, '.git/loom-guard/backup/journal.json')), c.out);
  assert.not.ok(repo.exists('notes/draft.txt'));
  assert.is(repo.git('rev-parse', 'HEAD'), before.head, 'nothing was committed');

  const r = repo.lg(['check', '--staged', 'fmt'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /an interrupted run \(pid \d+, [^)]*\) left 3 item\(s\) of your working tree hidden; putting them back/);
  assert.equal(snapshot(repo.dir), before, 'working tree, index and stash byte for byte');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')));
  clean();
});

test('SIGTERM between the Rust group and lint-staged: the one tree is put back at once, nothing committed', () => {
  partlyStaged(6);
  const before = snapshot(repo.dir);
  const c = repo.tryGit(['commit', '-q', '-m', 'terminated'], { env: { ...FMT_ONLY, LOOM_GUARD_TEST_FAULT: 'SIGTERM@between checks' } });
  assert.is.not(c.code, 0, c.out);
  assert.match(c.out, /interrupted \(SIGTERM\): your working tree is back as it was \(3 hidden items put back\); nothing was committed/);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: restoring'), 1, c.out);
  assert.not.match(c.out, /lint-staged\s+1 file/);
  assert.equal(snapshot(repo.dir), before, 'working tree, index and stash byte for byte');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')));
  clean();
});

const UGLY = (body) => `${lib}\npub   fn   twice( x:u64 )->u64{ ${body} }\n`;
const PRETTY = (body) => `${lib}\npub fn twice(x: u64) -> u64 {\n    ${body}\n}\n`;

test('"fmt": "fix" and a lint-staged fixer in one tree: both fixes staged, both merged into the unstaged versions, one hide and one restore', () => {
  repo.write('.loom-guard.json', JSON.stringify({ fmt: 'fix' }));
  repo.commitNoVerify('fmt fix');
  repo.write(LIB, UGLY('x*2'));
  repo.write(APP, 'var a = 3;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  repo.git('add', LIB, APP);
  repo.write(LIB, `${UGLY('x*2')}\npub fn mine( )->u8{ 7 }\n`);
  repo.write(APP, 'var a = 3;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n');
  repo.write('notes/draft.txt', 'untracked draft 3\n');
  const c = repo.tryGit(['commit', '-q', '-m', 'two fixers'], { env: ENV });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, new RegExp(`✔ fmt\\s+reformatted and staged ${LIB}[^]*✔ lint-staged\\s+1 file \\(web\\); fixed and staged ${APP}`));
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened'), 1, c.out);
  assert.is(count(c.out, '^loom-guard: debug: staged tree: restoring'), 1, c.out);
  assert.is(repo.git('show', `HEAD:${LIB}`), PRETTY('x * 2'));
  assert.is(repo.git('show', `HEAD:${APP}`), 'let a = 3;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  assert.is(repo.read(LIB), `${PRETTY('x * 2')}\npub fn mine() -> u8 {\n    7\n}\n`, 'the unstaged function survives, formatted');
  assert.is(repo.read(APP), 'let a = 3;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n');
  assert.is(repo.read('notes/draft.txt'), 'untracked draft 3\n');
  clean();
});

test('SIGKILL as the one restore starts, after both fixers staged: the next run tells their bytes from yours', () => {
  repo.write(LIB, UGLY('x*5'));
  repo.write(APP, 'var a = 5;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  repo.git('add', LIB, APP);
  repo.write(LIB, `${UGLY('x*5')}\npub fn mine( )->u8{ 7 }\n`);
  repo.write(APP, 'var a = 5;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n');
  repo.write('notes/draft.txt', 'untracked draft 5\n');
  const head = repo.git('rev-parse', 'HEAD');
  const c = repo.tryGit(['commit', '-q', '-m', 'killed in the restore'], { env: { ...FMT_ONLY, LOOM_GUARD_TEST_FAULT: 'SIGKILL@restore: start' } });
  assert.is.not(c.code, 0, c.out);
  assert.match(c.out, /staged tree: opened; hid 3 item/);
  assert.ok(existsSync(join(repo.dir, '.git/loom-guard/backup/journal.json')), c.out);
  const r = repo.lg(['check', '--staged', 'nix-sync'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /left 3 item\(s\) of your working tree hidden; putting them back/);
  assert.not.match(r.out, /changed while loom-guard had it hidden/, 'no fixer bytes taken for yours');
  // Both fixes are staged (they were, before the kill); your versions carry them; nothing committed.
  assert.is(repo.git('rev-parse', 'HEAD'), head);
  assert.is(repo.git('show', `:${LIB}`), PRETTY('x * 5'));
  assert.is(repo.git('show', `:${APP}`), 'let a = 5;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  assert.is(repo.read(LIB), `${PRETTY('x * 5')}\npub fn mine() -> u8 {\n    7\n}\n`);
  assert.is(repo.read(APP), 'let a = 5;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 60; // unstaged\n');
  assert.is(repo.read('notes/draft.txt'), 'untracked draft 5\n');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')));
  clean();
});

test('"fmt": "fix" with clippy failing: the format fix is dropped before lint-staged runs, never staged with its fix', () => {
  // Unformatted and a clippy error (an unused variable under -D warnings): fmt fixes, clippy fails.
  repo.write(LIB, UGLY('let unused = 1; x*2'));
  repo.write(APP, 'var a = 4;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\nlet f = 6;\n');
  repo.git('add', LIB, APP);
  const c = repo.tryGit(['commit', '-q', '-m', 'clippy fails'], { env: ENV });
  assert.is(c.code, 1, c.out);
  assert.match(c.out, /✖ clippy/);
  assert.match(c.out, /would reformat [^\n]*\(not staged: another check failed\)/);
  assert.match(c.out, /✔ lint-staged/, 'lint-staged ran in the same tree and judged the staged bytes');
  assert.is(repo.git('show', `:${LIB}`), UGLY('let unused = 1; x*2'), 'the index keeps the unformatted file');
  assert.is(repo.read(LIB), UGLY('let unused = 1; x*2'), 'and so does the working tree');
  assert.is(count(c.out, '^loom-guard: debug: staged tree: opened'), 1, c.out);
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')));
  clean();
});

test.after(() => repo.remove());
test.run();
