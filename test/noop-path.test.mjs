import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Repo } from './helpers/repo.mjs';

/*
 * The shim's no-op path must never skip a relevant change. To see whether Node would have run, the
 * recorded loom-guard is pointed at a path that does not exist: a hand-over to Node then fails the
 * commit ("cannot find loom-guard"), while the no-op path lets it through without Node.
 */
function repoWithUnreachableNode(config, files = { 'Cargo.toml': '[workspace]\nmembers = ["crates/*", "tools/xtask"]\nresolver = "2"\n' }) {
  const repo = Repo.init();
  repo.writeAll(files);
  repo.write('README.md', '# r\n');
  if (config) repo.write('.loom-guard.json', JSON.stringify(config));
  repo.commitNoVerify('initial');
  repo.install();
  unreachable(repo);
  // Make sure the config files are older than the hook, as after a normal install.
  const past = new Date(Date.now() - 60_000);
  for (const f of ['Cargo.toml', 'README.md', '.loom-guard.json']) if (repo.exists(f)) utimesSync(join(repo.dir, f), past, past);
  return repo;
}

/** Points the installed shim's recorded loom-guard at nothing (PATH has none either). */
function unreachable(repo) {
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  writeFileSync(hook, readFileSync(hook, 'utf8').replace(/^recorded_cli=.*$/m, "recorded_cli='/nonexistent/cli.js'"));
}

const env = { PATH: '/usr/bin:/bin' };

function handedOver(repo, stage) {
  stage(repo);
  const c = repo.tryGit(['commit', '-q', '-m', 'x'], { env });
  const over = /cannot find loom-guard/.test(c.out);
  if (!over) assert.is(c.code, 0, c.out);
  // Leave the index as it was for the next case.
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
  return over;
}

const write = (path, content = 'x\n') => (repo) => {
  repo.write(path, content);
  repo.git('add', '--', path);
};

test('irrelevant changes never start Node', () => {
  const repo = repoWithUnreachableNode();
  assert.not.ok(handedOver(repo, write('README.md', '# edited\n')), 'README');
  assert.not.ok(handedOver(repo, write('docs/guide.md')), 'docs');
  assert.not.ok(handedOver(repo, write('scripts/deploy.sh')), 'a script outside every crate');
  repo.remove();
});

test('every kind of relevant path hands over to Node', () => {
  const repo = repoWithUnreachableNode({ resources: ['assets/**/*.json'], migrations: ['db/migrations'], registry: 'server/src/registry.rs' });
  const relevant = [
    'Cargo.toml',
    'Cargo.lock',
    'Cargo.nix',
    'crates/loom-cli/Cargo.toml',
    'crates/loom-cli/src/main.rs',
    'crates/loom-cli/README.md',
    'crates/loom-server/migrations/011_x.sql',
    'crates/loom-server/static/logo.png',
    'tools/xtask/build.rs',
    'tools/xtask/templates/page.html',
    'elsewhere/Cargo.toml',
    'src/lonely.rs',
    'rust-toolchain',
    'rust-toolchain.toml',
    '.cargo/config.toml',
    'clippy.toml',
    '.clippy.toml',
    'rustfmt.toml',
    '.rustfmt.toml',
    '.loom-guard.json',
    'package.json',
    'assets/i18n/en.json',
    'db/migrations/001_a.sql',
    'db/migrations/README',
    'server/src/registry.rs',
    'notes/schema.sql',
  ];
  for (const path of relevant) assert.ok(handedOver(repo, write(path, path.endsWith('.json') ? '{}\n' : 'x\n')), path);
  repo.remove();
});

test('a folder holding a Cargo.toml outside the members globs (a path dependency) is relevant', () => {
  const repo = repoWithUnreachableNode(null, {
    // No member: cargo metadata answers (a `crates/*` matching nothing would be an error).
    'Cargo.toml': '[workspace]\nmembers = []\nresolver = "2"\n',
    'vendor/forked/Cargo.toml': '[package]\nname = "forked"\nversion = "0.1.0"\n',
  });
  assert.ok(handedOver(repo, write('vendor/forked/data/table.txt')), 'a resource of an unlisted crate');
  // Crates exist, and no cargo metadata said which are members: any of them may read it.
  assert.ok(handedOver(repo, write('vendor/README.md')), 'beside it, while the members are unknown');
  // cargo metadata (refresh-shim runs it) says no crate is a member: nothing is read.
  const r = repo.lg(['refresh-shim']);
  assert.match(r.out, /dep-info complete/, r.out);
  unreachable(repo);
  assert.ok(handedOver(repo, write('vendor/forked/data/table.txt')), 'the unlisted crate\'s folder stays relevant');
  assert.not.ok(handedOver(repo, write('vendor/README.md')), 'beside it, outside the crate');
  repo.remove();
});

test('a commit that adds a crate folder refreshes the shim, so its files become relevant', () => {
  const repo = Repo.init();
  repo.write('Cargo.toml', '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n');
  repo.commitNoVerify('initial');
  repo.install();
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  assert.not.match(readFileSync(hook, 'utf8'), /tools\/gen/);
  repo.write('tools/gen/Cargo.toml', '[package]\nname = "gen"\nversion = "0.1.0"\n');
  repo.git('add', 'tools/gen/Cargo.toml');
  // Only nix-sync and migrations could object, and there is no Cargo.nix or migration here.
  const c = repo.tryGit(['commit', '-q', '-m', 'add a tool crate'], { env: { LOOM_GUARD_SKIP: 'fmt,clippy,build' } });
  assert.is(c.code, 0, c.out);
  assert.match(readFileSync(hook, 'utf8'), /tools\/gen\/\*/, 'the refreshed shim knows the new crate folder');
  repo.remove();
});

test('a staged config that changes relevance hands over, at any depth, whatever the checks say', () => {
  const repo = repoWithUnreachableNode();
  for (const path of ['docs/package.json', 'docs/.lintstagedrc.json', 'docs/.lintstagedrc', 'docs/lint-staged.config.mjs', 'docs/sub/.loom-guard.json', 'docs/sub/Cargo.toml', 'package.yaml', 'docs/package.yml']) {
    assert.ok(handedOver(repo, write(path, path.endsWith('.json') ? '{}\n' : 'x\n')), path);
  }
  repo.remove();
});

test('deletions and renames of relevant paths hand over', () => {
  const repo = repoWithUnreachableNode();
  assert.ok(
    handedOver(repo, (r) => r.git('rm', '-q', 'Cargo.toml')),
    'deleting Cargo.toml',
  );
  repo.write('crates/a/src/lib.rs', 'pub fn a() {}\n');
  repo.commitNoVerify('a crate');
  assert.ok(handedOver(repo, (r) => r.git('mv', 'crates/a/src/lib.rs', 'lib.txt')), 'renaming out of a crate');
  repo.remove();
});

test('names git must quote (unicode, newline) hand over', () => {
  const repo = repoWithUnreachableNode();
  assert.ok(handedOver(repo, write('docs/naïve.md')), 'unicode');
  assert.ok(handedOver(repo, write('docs/new\nline.md')), 'newline');
  repo.remove();
});

test('a config or manifest newer than the shim hands over', () => {
  const repo = repoWithUnreachableNode({ migrations: ['db/migrations'] });
  repo.write('.loom-guard.json', JSON.stringify({ migrations: ['db/migrations', 'more'] }));
  // Not staged: only its mtime is newer than the shim.
  assert.ok(handedOver(repo, write('README.md', '# edited\n')), 'stale after a config edit');
  repo.remove();
});

test('a backup left by a killed run hands over, so Node can put the files back', () => {
  const repo = repoWithUnreachableNode();
  repo.write('.git/loom-guard/backup/manifest.json', '{}');
  assert.ok(handedOver(repo, write('README.md', '# edited\n')), 'leftover backup');
  repo.remove();
});

test('a partial skip hands over so Node can say what it skips', () => {
  const repo = repoWithUnreachableNode();
  repo.write('README.md', '# y\n');
  repo.git('add', 'README.md');
  const c = repo.tryGit(['commit', '-q', '-m', 'x'], { env: { ...env, LOOM_GUARD_SKIP: 'clippy' } });
  assert.match(c.out, /cannot find loom-guard/);
  repo.remove();
});

test('an initial commit of irrelevant files takes the no-op path', () => {
  const repo = Repo.init();
  repo.install();
  unreachable(repo);
  repo.write('README.md', '# first\n');
  repo.git('add', 'README.md');
  const c = repo.tryGit(['commit', '-q', '-m', 'first'], { env });
  assert.is(c.code, 0, c.out);
  repo.remove();
});

test('after a config change, the next Node run refreshes the shim and the no-op path returns', () => {
  const repo = Repo.init();
  repo.write('README.md', '# r\n');
  repo.commitNoVerify('initial');
  repo.install();
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  const past = new Date(Date.now() - 60_000);
  utimesSync(hook, past, past);
  repo.write('.loom-guard.json', JSON.stringify({ resources: ['assets/**'] }));
  repo.git('add', '.loom-guard.json');
  const c = repo.tryGit(['commit', '-q', '-m', 'config']);
  assert.is(c.code, 0, c.out);
  const shim = readFileSync(hook, 'utf8');
  assert.match(shim, /assets\/\*/, 'new resources glob is in the refreshed shim');
  repo.remove();
});

test.run();
