import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, readFileSync, statSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, sh, cleanEnv, tempDir } from './helpers/repo.mjs';

const FOREIGN = '#!/bin/sh\n# a hook the user wrote\necho "foreign hook ran" >&2\necho ran >> "$(git rev-parse --git-dir)/foreign.log"\n';

function withReadme(repo) {
  repo.write('README.md', '# scratch\n');
  repo.commitNoVerify('initial');
}

test('install writes both hooks where git looks; git commit runs the hook', () => {
  const repo = Repo.init();
  withReadme(repo);
  const r = repo.install();
  assert.match(r.stdout, /pre-commit: installed/);
  for (const hook of ['pre-commit', 'pre-push']) {
    const path = join(repo.dir, '.git/hooks', hook);
    assert.ok(statSync(path).mode & 0o100, `${hook} is executable`);
    assert.match(readFileSync(path, 'utf8'), /loom-guard-shim v1/);
  }
  repo.write('README.md', '# scratch\nmore\n');
  // LOOM_GUARD_SKIP=nix-sync is a skip of one id: the notice proves Node ran inside the hook.
  const c = repo.commit('docs', { env: { LOOM_GUARD_SKIP: 'nix-sync' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /skipped nix-sync \(LOOM_GUARD_SKIP=nix-sync\)/);
  repo.remove();
});

test('install is idempotent', () => {
  const repo = Repo.init();
  repo.install();
  const first = readFileSync(join(repo.dir, '.git/hooks/pre-commit'), 'utf8');
  const again = repo.install();
  assert.match(again.stdout, /already installed/);
  assert.is(readFileSync(join(repo.dir, '.git/hooks/pre-commit'), 'utf8'), first);
  assert.not.ok(existsSync(join(repo.dir, '.git/hooks/pre-commit.loom-guard-chained')), 'our own hook is never chained');
  repo.remove();
});

test('skip all: LOOM_GUARD_SKIP=1, true, all and SKIP_SIMPLE_GIT_HOOKS=1 each print one line', () => {
  const repo = Repo.init();
  withReadme(repo);
  repo.install();
  let n = 0;
  for (const env of [{ LOOM_GUARD_SKIP: '1' }, { LOOM_GUARD_SKIP: 'true' }, { LOOM_GUARD_SKIP: 'all' }, { SKIP_SIMPLE_GIT_HOOKS: '1' }]) {
    repo.write('README.md', `# change ${n++}\n`);
    const c = repo.commit('skip', { env });
    assert.is(c.code, 0, c.out);
    const lines = c.out.split('\n').filter((l) => l.includes('skipped'));
    assert.is(lines.length, 1, c.out);
    assert.match(lines[0], /every check skipped \(pre-commit\)/);
    assert.ok(lines[0].includes(Object.entries(env)[0].join('=')), lines[0]);
  }
  repo.remove();
});

test('skip one id prints its line; an unknown id warns with the valid ids', () => {
  const repo = Repo.init();
  withReadme(repo);
  repo.install();
  repo.write('README.md', '# a\n');
  const c = repo.commit('skip some', { env: { LOOM_GUARD_SKIP: 'clippy,build,bogus' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /skipped clippy, build \(LOOM_GUARD_SKIP=clippy,build,bogus\)/);
  assert.match(c.out, /unknown check id "bogus".*valid ids: nix-sync, migrations, fmt, clippy, build, test/);
  repo.write('README.md', '# b\n');
  const typo = repo.commit('typo', { env: { LOOM_GUARD_SKIP: 'tests' } });
  assert.match(typo.out, /unknown check id "tests" ignored \(did you mean "test"\?\)/);
  repo.remove();
});

test('a foreign hook is kept, runs first, can block, and uninstall restores it byte for byte', () => {
  const repo = Repo.init();
  withReadme(repo);
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  writeFileSync(hook, FOREIGN);
  chmodSync(hook, 0o751);
  const before = { bytes: readFileSync(hook), mode: statSync(hook).mode };
  const r = repo.install();
  assert.match(r.stdout, /pre-commit: installed; the hook that was there is kept/);
  repo.write('README.md', '# b\n');
  const c = repo.commit('with foreign', { env: { LOOM_GUARD_SKIP: 'fmt' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /foreign hook ran/);
  assert.match(c.out, /skipped fmt/, 'ours ran after it');
  assert.is(readFileSync(join(repo.dir, '.git/foreign.log'), 'utf8'), 'ran\n');
  // A failing foreign hook still blocks the commit.
  writeFileSync(join(repo.dir, '.git/hooks/pre-commit.loom-guard-chained'), '#!/bin/sh\necho "foreign says no" >&2\nexit 3\n');
  repo.write('README.md', '# c\n');
  const blocked = repo.commit('blocked by foreign');
  assert.is.not(blocked.code, 0);
  assert.match(blocked.out, /foreign says no/);
  writeFileSync(join(repo.dir, '.git/hooks/pre-commit.loom-guard-chained'), before.bytes);
  // Skipping loom-guard never skips the user's own hook.
  const skipped = repo.commit('skip', { env: { LOOM_GUARD_SKIP: '1' } });
  assert.match(skipped.out, /foreign hook ran/);
  const u = repo.lg(['uninstall']);
  assert.is(u.code, 0, u.out);
  assert.match(u.stdout, /pre-commit: removed; the hook it had chained is back/);
  assert.ok(readFileSync(hook).equals(before.bytes));
  assert.is(statSync(hook).mode, before.mode);
  assert.not.ok(existsSync(join(repo.dir, '.git/hooks/pre-push')), 'our pre-push is gone');
  assert.not.ok(existsSync(hook + '.loom-guard-chained'));
  repo.remove();
});

test('uninstall takes out the prepare script README suggests, byte for byte the rest; any other prepare script is left, with advice', () => {
  const repo = Repo.init();
  withReadme(repo);
  const pkg = '{\n  "name": "app",\n  "private": true,\n  "scripts": {\n    "test": "node t.js",\n    "prepare": "loom-guard install"\n  },\n  "devDependencies": {}\n}\n';
  repo.write('package.json', pkg);
  repo.install();
  const r = repo.lg(['uninstall']);
  assert.is(r.code, 0, r.out);
  assert.match(r.stdout, /✔ package\.json: removed the "prepare": "loom-guard install" script/);
  assert.is(repo.read('package.json'), '{\n  "name": "app",\n  "private": true,\n  "scripts": {\n    "test": "node t.js"\n  },\n  "devDependencies": {}\n}\n');

  const theirs = '{\n  "scripts": {\n    "prepare": "husky && loom-guard install"\n  }\n}\n';
  repo.write('package.json', theirs);
  repo.install();
  const kept = repo.lg(['uninstall']);
  assert.is(kept.code, 0, kept.out);
  assert.is(repo.read('package.json'), theirs, 'a prepare script that does more is the user\'s');
  assert.match(kept.stdout, /⚠ package\.json: its prepare script "husky && loom-guard install" installs the hooks again at the next npm install: take "loom-guard install" out of it \(the rest is yours\), e\.g\. npm pkg set scripts\.prepare="husky"/);
  repo.remove();
});

test('uninstall leaves a hook it did not write alone', () => {
  const repo = Repo.init();
  const hook = join(repo.dir, '.git/hooks/pre-push');
  writeFileSync(hook, FOREIGN, { mode: 0o755 });
  const u = repo.lg(['uninstall']);
  assert.is(u.code, 0);
  assert.match(u.stdout, /pre-push: not written by loom-guard, left alone/);
  assert.is(readFileSync(hook, 'utf8'), FOREIGN);
  repo.remove();
});

test('install refuses, changing nothing, when the chained slot is taken by something else', () => {
  const repo = Repo.init();
  const hook = join(repo.dir, '.git/hooks/pre-push');
  writeFileSync(hook, FOREIGN, { mode: 0o755 });
  writeFileSync(hook + '.loom-guard-chained', '#!/bin/sh\n', { mode: 0o755 });
  const before = readdirSync(join(repo.dir, '.git/hooks')).sort();
  const r = repo.lg(['install']);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /pre-push.*already taken/);
  assert.equal(readdirSync(join(repo.dir, '.git/hooks')).sort(), before, 'nothing half-installed');
  repo.remove();
});

test('core.hooksPath is honoured', () => {
  const repo = Repo.init();
  withReadme(repo);
  repo.git('config', 'core.hooksPath', 'my-hooks');
  repo.install();
  assert.ok(existsSync(join(repo.dir, 'my-hooks/pre-commit')));
  assert.not.ok(existsSync(join(repo.dir, '.git/hooks/pre-commit')));
  repo.write('README.md', '# d\n');
  const c = repo.commit('through hooksPath', { env: { LOOM_GUARD_SKIP: 'test' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /skipped test/);
  repo.remove();
});

test('a linked worktree: install from it, commit from it', () => {
  const repo = Repo.init();
  withReadme(repo);
  const wt = join(tempDir(), 'linked');
  repo.git('worktree', 'add', '-q', '-b', 'side', wt);
  const linked = new Repo(wt);
  linked.install();
  linked.write('README.md', '# from the worktree\n');
  const c = linked.commit('from worktree', { env: { LOOM_GUARD_SKIP: 'build' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /skipped build/);
  // Hooks are shared: the main worktree's commits run them too.
  repo.write('README.md', '# main\n');
  assert.match(repo.commit('main', { env: { LOOM_GUARD_SKIP: 'fmt' } }).out, /skipped fmt/);
  repo.remove();
});

test('the shim fails closed when loom-guard cannot be found, and says how to bypass', () => {
  const repo = Repo.init();
  withReadme(repo);
  repo.install();
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  writeFileSync(hook, readFileSync(hook, 'utf8').replace(/^recorded_cli=.*$/m, "recorded_cli='/nonexistent/cli.js'"));
  repo.write('src/lib.rs', 'pub fn f() {}\n');
  const c = repo.commit('no loom-guard', { env: { PATH: '/usr/bin:/bin' } });
  assert.is.not(c.code, 0);
  assert.match(c.out, /cannot find loom-guard/);
  assert.match(c.out, /LOOM_GUARD_SKIP=1 git commit/);
  // Only install commands that work today: npm install of what package.json lists, or a local path.
  assert.match(c.out, /when package\.json lists it: npm install; else from a clone or a packed tarball: npm install --save-dev <path to loom-guard, or loom-guard-x\.y\.z\.tgz>/);
  assert.not.match(c.out, /npm install --save-dev loom-guard\b/);
  const bypass = repo.commit('bypass', { env: { PATH: '/usr/bin:/bin', LOOM_GUARD_SKIP: '1' } });
  assert.is(bypass.code, 0, bypass.out);
  repo.remove();
});

test('file names that look like shell cannot run anything', () => {
  const repo = Repo.init();
  withReadme(repo);
  repo.install();
  const names = ['$(touch x).rs', ';touch y;.rs', 'with space.rs', 'new\nline.rs', '`touch z`.rs', "quote'd.rs"];
  for (const name of names) repo.write(name, 'fn main() {}\n');
  const c = repo.commit('weird names', { env: { LOOM_GUARD_SKIP: 'fmt' } });
  assert.is(c.code, 0, c.out);
  for (const f of ['x', 'y', 'z']) assert.not.ok(existsSync(join(repo.dir, f)), `${f} was not created`);
  assert.is(repo.git('ls-files').includes('with space.rs'), true);
  repo.remove();
});

test.run();
