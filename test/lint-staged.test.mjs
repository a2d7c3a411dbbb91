import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { sh, tempDir } from './helpers/repo.mjs';
import { join } from 'node:path';
import { snapshot } from './helpers/snapshot.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

/*
 * The lint-staged check through real `git commit` in a generated workspace with a web/ package
 * whose lint-staged config runs two small Node scripts: a linter (blocks a file holding BAD) and a
 * fixer (rewrites `var` to `let`).
 */

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
for (const f of process.argv.slice(2)) if (readFileSync(f, 'utf8').includes('BAD')) { console.error(f.split('/').slice(-2).join('/') + ': contains BAD'); bad = 1; }
process.exit(bad);
`,
  'web/src/app.js': 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\n',
  'web/src/other.js': 'export const other = 1;\n',
};

const { repo } = await workspaceRepo({ crates: 2, install: false });
repo.writeAll(WEB);
repo.commitNoVerify('web package');
repo.install();

/** Leaves the repository as committed, for the next case. */
function clean() {
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
}

test('a good web file passes, with a report line and timing', () => {
  repo.write('web/src/good.js', 'export const good = 1;\n');
  repo.git('add', 'web/src/good.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'good']);
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /✔ lint-staged\s+1 file \(web\)\s+\d/);
  assert.match(repo.git('show', '--name-only', '--format=', 'HEAD'), /web\/src\/good.js/);
});

test('a bad web file blocks, and nothing changes', () => {
  repo.write('web/src/bad.js', 'BAD\n');
  repo.git('add', 'web/src/bad.js');
  repo.write('web/src/other.js', 'export const other = 2; // unstaged\n');
  const before = snapshot(repo.dir);
  const c = repo.tryGit(['commit', '-q', '-m', 'bad']);
  assert.is(c.code, 1, c.out);
  assert.match(c.out, /✖ lint-staged/);
  assert.match(c.out, /src\/bad.js: contains BAD/);
  assert.equal(snapshot(repo.dir), before, 'working tree, index and stash byte for byte');
  clean();
});

test('a failing task is named on the report line; a task whose program does not exist says ENOENT and how to get it', () => {
  repo.write('web/src/bad.js', 'BAD\n');
  repo.git('add', 'web/src/bad.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'bad']);
  assert.is(c.code, 1, c.out);
  assert.match(c.out, /✖ lint-staged\s+1 file \(web\): task "node tools\/lint\.mjs" failed/);
  assert.match(c.out, /✖ node tools\/lint\.mjs:\n\s+.*src\/bad\.js: contains BAD/);
  clean();

  // A task whose program is not installed: lint-staged's own ENOENT, not "failed without output".
  const config = JSON.parse(repo.read('web/package.json'));
  config['lint-staged']['*.js'] = ['eslint-not-installed --fix'];
  repo.write('web/package.json', `${JSON.stringify(config, null, 2)}\n`);
  repo.commitNoVerify('a task nobody installed');
  repo.write('web/src/good.js', 'export const good = 2;\n');
  repo.git('add', 'web/src/good.js');
  const before = snapshot(repo.dir);
  const missing = repo.tryGit(['commit', '-q', '-m', 'missing tool']);
  assert.is(missing.code, 1, missing.out);
  assert.match(missing.out, /✖ lint-staged\s+1 file \(web\): task "eslint-not-installed --fix" could not start \(ENOENT\)/);
  assert.match(missing.out, /eslint-not-installed --fix: could not start: eslint-not-installed was not found \(ENOENT\) in web\/node_modules\/\.bin or on PATH: install it \(npm install in web\) or fix the task/);
  assert.not.match(missing.out, /without output|failed to spawn/);
  assert.equal(snapshot(repo.dir), before, 'nothing changed');
  // check --files names it the same way, on the working tree.
  const files = repo.lg(['check', 'lint-staged', '--files', 'web/src/good.js']);
  assert.is(files.code, 1, files.out);
  assert.match(files.out, /task "eslint-not-installed --fix" could not start \(ENOENT\)/);
  clean();
  repo.git('reset', '-q', '--hard', 'HEAD~1');
});

test('check lint-staged --files runs the tasks on the named files as they are in the working tree; a fix stays there, unstaged', () => {
  repo.write('web/src/app.js', 'var a = 1;\n'); // not staged
  repo.write('web/src/loose.js', 'var loose;\n'); // untracked
  const r = repo.lg(['check', 'lint-staged', '--files', 'web/src/app.js', 'web/src/loose.js', 'web/src/other.js']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ lint-staged\s+3 files \(web\); rewritten by a task, not staged: web\/src\/app\.js, web\/src\/loose\.js/);
  assert.is(repo.read('web/src/app.js'), 'let a = 1;\n');
  assert.is(repo.git('diff', '--cached', '--name-only'), '', 'nothing staged');
  repo.write('web/src/other.js', 'BAD\n');
  const bad = repo.lg(['check', 'lint-staged', '--files', 'web/src']);
  assert.is(bad.code, 1, bad.out);
  assert.match(bad.out, /task "node tools\/lint\.mjs" failed/);
  assert.match(bad.out, /src\/other\.js: contains BAD/);
  clean();
});

test("a fixer's result is committed; unstaged edits in the same and in other files survive", () => {
  // Staged: `var` on line 1. Unstaged on top: an edit on line 5 of the same file, an edit to
  // another tracked web file, an untracked file, and a Rust source edit.
  repo.write('web/src/app.js', 'var a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\n');
  repo.git('add', 'web/src/app.js');
  repo.write('web/src/app.js', 'var a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 6; // mine\n');
  const other = 'export const other = 3; // unstaged, var kept\nvar x;\n';
  repo.write('web/src/other.js', other);
  repo.write('web/src/untracked.js', 'var untouched;\n');
  const lib = readFileSync(join(repo.dir, 'crates/loom-common-core/src/lib.rs'));
  writeFileSync(join(repo.dir, 'crates/loom-common-core/src/lib.rs'), Buffer.concat([lib, Buffer.from('// unstaged rust edit\n')]));
  const c = repo.tryGit(['commit', '-q', '-m', 'fixed']);
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /fixed and staged web\/src\/app.js/);
  assert.is(repo.git('show', 'HEAD:web/src/app.js'), 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\n', 'the fix is committed');
  // The unstaged edit survives, with the fix applied beside it (it never touched line 5).
  assert.is(repo.read('web/src/app.js'), 'let a = 1;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 6; // mine\n');
  assert.is(repo.read('web/src/other.js'), other, 'another file with unstaged edits, byte for byte');
  assert.is(repo.read('web/src/untracked.js'), 'var untouched;\n', 'an untracked file, byte for byte');
  assert.equal(readFileSync(join(repo.dir, 'crates/loom-common-core/src/lib.rs')), Buffer.concat([lib, Buffer.from('// unstaged rust edit\n')]));
  assert.is(repo.git('status', '--porcelain', '--', 'web/src/app.js'), ' M web/src/app.js\n', 'the edit is still unstaged');
  clean();
});

test('a fix that would overwrite an unstaged edit blocks, naming the file to stage', () => {
  repo.write('web/src/app.js', 'var a = 10;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\n');
  repo.git('add', 'web/src/app.js');
  repo.write('web/src/app.js', 'var a = 11;\nlet b = 2;\nlet c = 3;\nlet d = 4;\nlet e = 5;\n');
  const before = snapshot(repo.dir);
  const c = repo.tryGit(['commit', '-q', '-m', 'conflict']);
  assert.is(c.code, 1, c.out);
  assert.match(c.out, /stage it first \(git add web\/src\/app.js\)/);
  assert.equal(snapshot(repo.dir), before, 'nothing staged, nothing overwritten');
  clean();
});

test('under `*.js text eol=crlf` a fix on line 1 merges with an unstaged edit on line 6 and is written back in CRLF', () => {
  const lines = (first, sixth) => [first, 'let b = 2;', 'let c = 3;', 'let d = 4;', 'let e = 5;', sixth, ''];
  repo.write('.gitattributes', '*.js text eol=crlf\n');
  repo.write('web/src/crlf.js', lines('let a = 1;', 'let f = 6;').join('\r\n'));
  repo.commitNoVerify('crlf file');
  repo.write('web/src/crlf.js', lines('var a = 10;', 'let f = 6;').join('\r\n'));
  repo.git('add', 'web/src/crlf.js');
  repo.write('web/src/crlf.js', lines('var a = 10;', 'let f = 60; // mine, unstaged').join('\r\n'));
  const c = repo.tryGit(['commit', '-q', '-m', 'crlf fix']);
  assert.is(c.code, 0, c.out);
  assert.is(repo.git('show', 'HEAD:web/src/crlf.js'), lines('let a = 10;', 'let f = 6;').join('\n'), 'the fix is committed (LF in the repository)');
  assert.equal(readFileSync(join(repo.dir, 'web/src/crlf.js')), Buffer.from(lines('let a = 10;', 'let f = 60; // mine, unstaged').join('\r\n')), 'fix and edit merged, CRLF throughout');
  assert.is(repo.git('status', '--porcelain', '--', 'web/src/crlf.js'), ' M web/src/crlf.js\n', 'only the edit is unstaged');
  assert.is(repo.git('diff', '--numstat', '--', 'web/src/crlf.js'), '1\t1\tweb/src/crlf.js\n', 'one line differs: the unstaged one');
  rmSync(join(repo.dir, '.gitattributes'));
  repo.git('rm', '-q', '--cached', '.gitattributes');
  repo.commitNoVerify('no more crlf');
  clean();
});

test('a staged file with a newline in its name gets its fix staged and committed', () => {
  const name = 'web/src/new\nline.js';
  repo.write(name, 'var odd = 1;\n');
  repo.git('add', '--', name);
  const c = repo.tryGit(['commit', '-q', '-m', 'odd name']);
  assert.is(c.code, 0, c.out);
  assert.not.match(c.out, /could not open|hash-object/, c.out);
  assert.is(repo.git('show', `HEAD:${name}`), 'let odd = 1;\n', 'the fix is committed');
  assert.is(repo.read(name), 'let odd = 1;\n', 'the tree shows it');
  assert.is(repo.git('status', '--porcelain', '-z'), '', 'nothing left unstaged');
  clean();
});

test('LOOM_GUARD_SKIP=lint-staged skips it, and says so', () => {
  repo.write('web/src/bad2.js', 'BAD\n');
  repo.git('add', 'web/src/bad2.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'skipped'], { env: { LOOM_GUARD_SKIP: 'lint-staged' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /- lint-staged\s+skipped \(LOOM_GUARD_SKIP=lint-staged\)/);
  repo.git('reset', '-q', '--hard', 'HEAD~1');
});

test('a README-only commit starts no Node; a web file does', () => {
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  const shim = readFileSync(hook, 'utf8');
  writeFileSync(hook, shim.replace(/^recorded_cli=.*$/m, "recorded_cli='/nonexistent/cli.js'"));
  const past = new Date(Date.now() - 60_000);
  for (const f of ['Cargo.toml', 'package.json', '.loom-guard.json']) if (repo.exists(f)) utimesSync(join(repo.dir, f), past, past);
  const env = { PATH: '/usr/bin:/bin' };
  repo.write('README.md', '# edited\n');
  repo.git('add', 'README.md');
  const readme = repo.tryGit(['commit', '-q', '-m', 'readme'], { env });
  assert.is(readme.code, 0, readme.out);
  repo.write('web/src/app.js', 'let a = 2;\n');
  repo.git('add', 'web/src/app.js');
  const web = repo.tryGit(['commit', '-q', '-m', 'web'], { env });
  assert.match(web.out, /cannot find loom-guard/, 'a web file hands over to Node');
  writeFileSync(hook, shim);
  clean();
});

test('doctor lists the check', () => {
  const r = repo.lg(['doctor', '--json']);
  const finding = JSON.parse(r.stdout).findings.find((f) => f.id === 'lint-staged');
  assert.ok(finding, r.stdout);
  assert.match(finding.message, /web\/package.json/);
});

test('pre-push runs it on pushed tips only when lintStagedOnPush is set, in place or in a temporary worktree', () => {
  const remote = tempDir();
  sh('git', ['init', '-q', '--bare', remote]);
  repo.git('remote', 'add', 'origin', remote);
  repo.git('push', '-q', '--no-verify', 'origin', 'HEAD:refs/heads/main');
  const env = { LOOM_GUARD_SKIP: 'fmt,clippy,build,test' };
  repo.write('web/src/pushed.js', 'BAD\n');
  repo.commitNoVerify('bad web file');
  const off = repo.tryGit(['push', 'origin', 'HEAD:refs/heads/main'], { env });
  assert.is(off.code, 0, off.out);
  assert.not.match(off.out, /lint-staged/, 'not asked for: not run');

  repo.write('.loom-guard.json', JSON.stringify({ lintStagedOnPush: true }));
  repo.write('web/src/pushed2.js', 'BAD\n');
  repo.commitNoVerify('lint on push, and another bad file');
  const inPlace = repo.tryGit(['push', 'origin', 'HEAD:refs/heads/main'], { env });
  assert.is(inPlace.code, 1, inPlace.out);
  assert.match(inPlace.out, /✖ lint-staged\s+pushed tip \(in place\): task "[^"]+" failed/);
  assert.match(inPlace.out, /pushed2.js: contains BAD/);
  assert.not.match(inPlace.out, /pushed.js: contains BAD/, 'only the files the pushed commits change');

  // Not the checked-out commit: a temporary worktree, the working tree untouched.
  repo.git('branch', 'topic');
  repo.write('web/src/dirty.js', 'var unstaged;\n');
  const before = snapshot(repo.dir);
  const elsewhere = repo.tryGit(['push', 'origin', 'topic'], { env });
  assert.is(elsewhere.code, 1, elsewhere.out);
  assert.match(elsewhere.out, /\(in a temporary worktree\)/);
  assert.equal(snapshot(repo.dir), before);
  assert.not.match(repo.git('worktree', 'list'), /loom-guard-lint-staged/, 'the temporary worktree is gone');

  const skipped = repo.tryGit(['push', 'origin', 'topic'], { env: { LOOM_GUARD_SKIP: 'fmt,clippy,build,test,lint-staged' } });
  assert.is(skipped.code, 0, skipped.out);
  rmSync(remote, { recursive: true, force: true });
});

test.after(() => repo.remove());
test.run();
