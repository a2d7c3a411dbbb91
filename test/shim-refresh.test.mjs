import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, sh, tempDir } from './helpers/repo.mjs';

/*
 * A lint-staged config, or a new path-dependency crate, that arrives by git pull, checkout or
 * rebase must be seen by the very next commit: `loom-guard check --staged` and the installed hook
 * agree (both block). Real git, real lint-staged, real cargo. The last case removes the refresh
 * hooks and shows the commit slipping through, so the assertion can fail.
 */

const BASE = {
  'Cargo.toml': '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n',
  'crates/app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n',
  'crates/app/src/lib.rs': 'pub fn app() -> u32 {\n    1\n}\n',
  'web/app.ts': 'export const a = 1;\n',
  'README.md': '# r\n',
};

/** What upstream adds: a lint-staged config whose task refuses every file it is given. */
const LINT_CONFIG = {
  'web/.lintstagedrc.json': JSON.stringify({ '**/*.ts': 'node -e "process.exit(1)"' }) + '\n',
};
/** What upstream adds: a crate outside the members globs, a path dependency, that includes a data file. */
const NEW_CRATE = {
  'vendor/gen/Cargo.toml': '[package]\nname = "gen"\nversion = "0.1.0"\nedition = "2021"\n',
  'vendor/gen/src/lib.rs': 'include!("../data/table.inc");\n',
  'vendor/gen/data/table.inc': 'pub fn table() -> u32 {\n    7\n}\n',
  'crates/app/Cargo.toml': '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\ngen = { path = "../../vendor/gen" }\n',
};
const KINDS = {
  'a lint-staged config': { files: LINT_CONFIG, bad: ['web/app.ts', 'export const a = 2;\n'] },
  'a new path-dependency crate': { files: NEW_CRATE, bad: ['vendor/gen/data/table.inc', 'pub fn table() -> u32 {\n    "seven"\n}\n'] },
};

/** origin (bare), an upstream clone that publishes, and the user's clone with the hooks installed. */
function setup() {
  const top = tempDir();
  const seed = Repo.init();
  seed.writeAll(BASE);
  seed.commitNoVerify('initial');
  sh('git', ['clone', '-q', '--bare', seed.dir, join(top, 'origin.git')]);
  seed.remove();
  const clone = (name) => {
    sh('git', ['clone', '-q', join(top, 'origin.git'), join(top, name)]);
    const r = new Repo(join(top, name));
    r.git('config', 'commit.gpgsign', 'false');
    return r;
  };
  const upstream = clone('upstream');
  const user = clone('user');
  user.install();
  return { top, upstream, user };
}

function publish(upstream, files) {
  upstream.writeAll(files);
  upstream.commitNoVerify('upstream change');
  upstream.git('push', '-q', 'origin', 'HEAD:main');
}

const WAYS = {
  pull: (user) => user.git('pull', '-q', '--no-rebase', 'origin', 'main'),
  checkout: (user) => {
    user.git('fetch', '-q', 'origin');
    user.git('checkout', '-q', '-b', 'feature', 'origin/main');
  },
  // post-checkout is taken away so post-rewrite alone must do it.
  rebase: (user) => {
    rmSync(join(user.dir, '.git/hooks/post-checkout'));
    user.write('NOTES.md', 'local work\n');
    user.commitNoVerify('local work');
    user.git('fetch', '-q', 'origin');
    user.git('rebase', '-q', 'origin/main');
  },
};

/** Stages the bad change; returns [check --staged exit code, git commit exit code]. */
function verdicts(user, [path, content]) {
  user.write(path, content);
  user.git('add', '--', path);
  const check = user.lg(['check', '--staged']);
  const commit = user.tryGit(['commit', '-q', '-m', 'bad']);
  return { check: check.code, commit: commit.code, out: `${check.out}\n---\n${commit.out}` };
}

for (const [kind, { files, bad }] of Object.entries(KINDS)) {
  for (const [way, bring] of Object.entries(WAYS)) {
    test(`${kind} arriving by git ${way} is seen by the next commit`, () => {
      const { top, upstream, user } = setup();
      publish(upstream, files);
      bring(user);
      const v = verdicts(user, bad);
      assert.is(v.check, 1, `check --staged blocks: ${v.out}`);
      assert.is(v.commit, 1, `the hook agrees: ${v.out}`);
      rmSync(top, { recursive: true, force: true });
    });
  }
}

test('without the refresh hooks the stale shim lets it through (what the hooks are for), and doctor says so', () => {
  const { top, upstream, user } = setup();
  // The user has built once: the dep-info is complete, so only the patterns decide.
  assert.is(sh('cargo', ['build', '--workspace', '--offline'], { cwd: user.dir }).code, 0);
  assert.match(user.lg(['refresh-shim']).out, /dep-info complete/);
  for (const h of ['post-checkout', 'post-merge', 'post-rewrite']) rmSync(join(user.dir, '.git/hooks', h));
  publish(upstream, LINT_CONFIG);
  user.git('pull', '-q', '--no-rebase', 'origin', 'main');
  const d = user.lg(['doctor']);
  assert.match(d.out, /⚠ pre-commit patterns\s+pre-commit's no-op patterns are stale/);
  assert.match(d.out, /⚠ post-merge\s+no post-merge hook/);
  const v = verdicts(user, KINDS['a lint-staged config'].bad);
  assert.is(v.check, 1, v.out);
  assert.is(v.commit, 0, `the stale shim's no-op path: ${v.out}`);
  rmSync(top, { recursive: true, force: true });
});

test('a checkout that brings nothing relevant does not start Node', () => {
  const { top, upstream, user } = setup();
  publish(upstream, { 'docs/guide.md': 'x\n' });
  user.git('fetch', '-q', 'origin');
  // A recorded loom-guard that cannot start would print its error if the hook called it.
  const hook = join(user.dir, '.git/hooks/post-checkout');
  sh('sed', ['-i', "s|^recorded_node=.*|recorded_node='/nonexistent/node'|", hook]);
  sh('sed', ['-i', "s|^recorded_cli=.*|recorded_cli='/bin/sh'|", hook]);
  const c = user.tryGit(['checkout', '-q', '-b', 'feature', 'origin/main'], { env: { PATH: '/usr/bin:/bin' } });
  assert.is(c.code, 0, c.out);
  const d = user.lg(['doctor']);
  assert.not.match(d.out, /patterns are stale/);
  rmSync(top, { recursive: true, force: true });
});

test.run();
