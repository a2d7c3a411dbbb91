import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, tempDir, ROOT, TEST_CACHE } from './helpers/repo.mjs';
import { workspaceRepo, scaffold, embeddedMigrations } from './helpers/workspace.mjs';

const refs = await import(join(ROOT, 'dist/push/refs.js'));
const cacheMod = await import(join(ROOT, 'dist/push/cache.js'));

// One workspace and one bare remote for every case: cargo stays warm from case to case.
const { repo, spec } = await workspaceRepo({ crates: 3 });
const remote = tempDir('loom-guard-remote-');
sh('git', ['init', '-q', '--bare', remote]);
repo.git('remote', 'add', 'origin', remote);
const CORE_LIB = 'crates/loom-common-core/src/lib.rs';
const cacheFile = join(repo.dir, '.git/loom-guard/push-cache.json');
const treeMod = await import(join(ROOT, 'dist/push/pushTree.js'));
const gitDir = join(repo.dir, '.git');
const layout = await treeMod.pushTreeLayout({ root: repo.dir, gitDir, commonDir: gitDir, hooksDir: join(gitDir, 'hooks') }, { ...process.env, XDG_CACHE_HOME: TEST_CACHE });

const push = (...args) => repo.tryGit(['push', ...args]);
const remoteRef = (ref) => {
  const r = sh('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: remote });
  return r.code === 0 ? r.stdout.trim() : null;
};
const head = (rev = 'HEAD') => repo.git('rev-parse', rev).trim();

/** Every file outside .git and target with its bytes' hash, plus git's view of index and stash. */
function snapshot() {
  const files = {};
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir)) {
      if (!rel && (name === '.git' || name === 'target')) continue;
      const full = join(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, path);
      else files[path] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(repo.dir, '');
  return {
    files,
    status: repo.git('status', '--porcelain', '--untracked-files=all'),
    index: repo.git('ls-files', '-s'),
    stash: repo.git('stash', 'list'),
  };
}

test('ref lines: every line parsed; update, new, force over unknown, delete and tag planned', () => {
  const A = 'a'.repeat(40);
  const B = 'b'.repeat(40);
  const Z = '0'.repeat(40);
  const lines = refs.parsePushLines(
    `refs/heads/main ${A} refs/heads/main ${B}\nrefs/heads/new ${A} refs/heads/new ${Z}\n(delete) ${Z} refs/heads/old ${B}\nrefs/tags/v1 ${A} refs/tags/v1 ${Z}\n`,
  );
  assert.is(lines.length, 4);
  assert.equal(refs.planPush(lines[0], 'origin', true).revList, [A, '--not', B]);
  const force = refs.planPush(lines[0], 'origin', false);
  assert.is(force.kind, 'force-unknown');
  assert.equal(force.revList, [A, '--not', '--remotes=origin']);
  assert.is(refs.planPush(lines[1], 'origin', false).kind, 'new');
  assert.is(refs.planPush(lines[2], 'origin', true).revList, null);
  const tag = refs.planPush(lines[3], 'origin', false);
  assert.ok(tag.tag);
  assert.is(refs.refLabel(tag), 'tag v1');
  assert.throws(() => refs.parsePushLines('refs/heads/main nope'), /unexpected ref line/);
});

test('a corrupt cache file reads as empty', () => {
  assert.equal(cacheMod.parseCache('{"format":1,"entries":[{"tree":'), []);
  assert.equal(cacheMod.parseCache('[1,2]'), []);
  assert.equal(cacheMod.parseCache(null), []);
});

test('a good push passes and lands', () => {
  const r = push('origin', 'main');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔\s+test\s+workspace/);
  assert.match(r.out, /✔\s+clippy\s+workspace/);
  assert.is(remoteRef('refs/heads/main'), head());
});

test('a failing cargo test refuses the push and leaves the remote unchanged', () => {
  const before = remoteRef('refs/heads/main');
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\n#[cfg(test)]\nmod broken {\n    #[test]\n    fn fails() {\n        assert_eq!(super::add(1, 1), 3);\n    }\n}\n`);
  repo.commitNoVerify('a test that fails');
  const r = push('origin', 'main');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+test\s+cargo test --workspace failed/);
  assert.match(r.out, /fails/); // cargo's own output names the failing test
  assert.match(r.out, /push is refused/);
  assert.is(remoteRef('refs/heads/main'), before);
  repo.git('reset', '-q', '--hard', 'HEAD~1');
});

test('a new branch pushed from a broken, dirty working tree passes and leaves it byte-identical', () => {
  repo.git('checkout', '-q', '-b', 'feature');
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\npub fn double(n: u64) -> u64 {\n    n * 2\n}\n`);
  repo.commitNoVerify('add double');
  // Broken and unformatted edits, one staged, one not, and an untracked file that does not compile.
  repo.write('crates/loom-server/src/lib.rs', 'this does not compile(');
  repo.git('add', 'crates/loom-server/src/lib.rs');
  repo.write(CORE_LIB, `${repo.read(CORE_LIB)}\nfn   ugly( ){}\n`);
  repo.write('crates/loom-common-core/src/stray.rs', 'nor does this');
  const before = snapshot();
  const r = push('origin', 'feature');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /private checkout/);
  assert.is(remoteRef('refs/heads/feature'), head());
  assert.equal(snapshot(), before);
});

test('re-pushing the same tree (amended message, force push) is cached', () => {
  // --only: amend the message alone, leaving the staged broken edit out of the commit.
  repo.git('commit', '-q', '--amend', '--only', '--no-verify', '-m', 'add double, reworded');
  const r = push('-f', 'origin', 'feature');
  assert.is(r.code, 0, r.out);
  for (const step of ['fmt', 'clippy', 'build', 'test']) assert.match(r.out, new RegExp(`✔\\s+${step}\\s+workspace\\s+\\(cached\\)`));
  assert.is(remoteRef('refs/heads/feature'), head());
  // Clean up the dirty state for the cases that follow.
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd');
  repo.git('checkout', '-q', 'main');
});

test('deleting a remote branch passes', () => {
  const r = push('origin', '--delete', 'feature');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /feature\s+deleted/);
  assert.is(remoteRef('refs/heads/feature'), null);
});

test('a push of two refs where one fails refuses both', () => {
  repo.git('checkout', '-q', '-b', 'good', 'main');
  repo.write('crates/loom-crate-01/src/lib.rs', `${repo.read('crates/loom-crate-01/src/lib.rs')}\npub fn one() -> u64 {\n    1\n}\n`);
  repo.commitNoVerify('good change');
  repo.git('checkout', '-q', '-b', 'bad', 'main');
  repo.write('crates/loom-crate-01/src/lib.rs', `${repo.read('crates/loom-crate-01/src/lib.rs')}\npub fn two() -> u64 {\n    let x = 2;\n    return x;\n}\n`);
  repo.commitNoVerify('clippy warns about this');
  repo.git('checkout', '-q', 'main');
  const r = push('origin', 'good', 'bad');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+clippy/);
  assert.match(r.out, /good\s+✔ passed/);
  assert.match(r.out, /bad\s+✖ failed: clippy/);
  assert.match(r.out, /all 2 refs of this push are refused/);
  assert.is(remoteRef('refs/heads/good'), null);
  assert.is(remoteRef('refs/heads/bad'), null);
});

test('stdin with several ref lines: each one is handled', () => {
  const Z = '0'.repeat(40);
  const main = head('main');
  const good = head('good');
  const input = `refs/heads/main ${main} refs/heads/main ${main}\nrefs/heads/good ${good} refs/heads/good ${Z}\n(delete) ${Z} refs/heads/gone ${main}\n`;
  const r = repo.lg(['pre-push', 'origin', remote], { input });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /main\s+update, 0 commits/);
  assert.match(r.out, /good\s+new branch, 1 commit/);
  assert.match(r.out, /gone\s+deleted/);
  assert.match(r.out, /gone\s+deleted: nothing to check/);
  const bad = repo.lg(['pre-push', 'origin', remote], { input: 'garbage\n' });
  assert.is(bad.code, 2);
  assert.is(bad.stderr.trim().split('\n').length, 1);
});

test('a corrupt cache file is survived and rewritten', () => {
  writeFileSync(cacheFile, '{"format":1,"entries":[{"tree":');
  const main = head('main');
  const input = `refs/heads/main ${main} refs/heads/main ${main}\n`;
  const r = repo.lg(['pre-push', 'origin', remote], { input });
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /cached/); // the record was unreadable: checked again
  const parsed = JSON.parse(readFileSync(cacheFile, 'utf8'));
  assert.is(parsed.format, 1);
  const again = repo.lg(['pre-push', 'origin', remote], { input });
  assert.match(again.out, /✔\s+test\s+workspace\s+\(cached\)/);
});

test('LOOM_GUARD_SKIP=clippy lets the clippy-failing ref through, and says so', () => {
  const r = repo.tryGit(['push', 'origin', 'bad'], { env: { LOOM_GUARD_SKIP: 'clippy' } });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /skipped clippy \(LOOM_GUARD_SKIP=clippy\)/);
  assert.match(r.out, /-\s+clippy\s+skipped/);
  assert.is(remoteRef('refs/heads/bad'), head('bad'));
  // A skipped step is not recorded as passed: without the skip, clippy runs (and fails) again.
  const sha = head('bad');
  const again = repo.lg(['pre-push', 'origin', remote], { input: `refs/heads/bad ${sha} refs/heads/bad ${sha}\n` });
  assert.is(again.code, 1, again.out);
  assert.match(again.out, /✖\s+clippy/);
});

test('an annotated tag and a force push over unknown commits are planned and checked', () => {
  repo.git('tag', '-a', 'v1', '-m', 'release 1', 'good');
  const r = push('origin', 'v1');
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /tag v1\s+new tag, 1 commit/);
  // Its parent passed on main: only the crates changed since then (pushScope "affected") are tested.
  assert.match(r.out, /✔\s+test\s+(workspace|\d+ crates? \(.*\) affected since [0-9a-f]{7})/);
  const good = head('good');
  const unknown = 'c'.repeat(40);
  const f = repo.lg(['pre-push', 'origin', remote], { input: `refs/heads/good ${good} refs/heads/good ${unknown}\n` });
  assert.is(f.code, 0, f.out);
  // Tags are not remote-tracking refs: good's commit is on no ref of origin, so it is checked.
  assert.match(f.out, /good\s+force push over commits not known here, 1 commit/);
  assert.match(f.out, /✔\s+test\s+workspace\s+\(cached\)/);
});

test('two pre-push runs at once both finish and leave a readable cache', async () => {
  const { spawn } = await import('node:child_process');
  const { cleanEnv, CLI } = await import('./helpers/repo.mjs');
  repo.git('checkout', '-q', '-b', 'para', 'main');
  repo.write('crates/loom-common-core/src/lib.rs', `${repo.read('crates/loom-common-core/src/lib.rs')}\npub fn para() -> u64 {\n    7\n}\n`);
  repo.commitNoVerify('para change');
  repo.git('checkout', '-q', 'main');
  const Z = '0'.repeat(40);
  const runOne = (ref) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'pre-push', 'origin', remote], { cwd: repo.dir, env: cleanEnv() });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('close', (code) => resolve({ code, out }));
      child.stdin.end(`refs/heads/${ref} ${head(ref)} refs/heads/${ref} ${Z}\n`);
    });
  const [a, b] = await Promise.all([runOne('para'), runOne('good')]);
  assert.is(a.code, 0, a.out);
  assert.is(b.code, 0, b.out);
  const parsed = JSON.parse(readFileSync(cacheFile, 'utf8'));
  assert.ok(parsed.entries.length >= 1);
  assert.ok(!existsSync(layout.lock), 'the checkout lock is released');
});

test('a damaged private checkout index is rebuilt', () => {
  writeFileSync(layout.index, 'garbage');
  writeFileSync(join(layout.tree, 'crates/loom-crate-01/src/lib.rs'), 'scribbled on');
  repo.git('checkout', '-q', '-b', 'idx', 'main');
  repo.write('crates/loom-crate-01/src/lib.rs', `${repo.read('crates/loom-crate-01/src/lib.rs')}\npub fn idx() -> u64 {\n    3\n}\n`);
  repo.commitNoVerify('idx change');
  repo.git('checkout', '-q', 'main');
  const r = repo.lg(['pre-push', 'origin', remote], { input: `refs/heads/idx ${head('idx')} refs/heads/idx ${'0'.repeat(40)}\n` });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /private checkout/);
  assert.is(readFileSync(join(layout.tree, 'crates/loom-crate-01/src/lib.rs'), 'utf8'), repo.git('show', 'idx:crates/loom-crate-01/src/lib.rs'));
});

test('check --range and check --all', () => {
  const range = repo.lg(['check', '--range', 'main..good', '--json']);
  assert.is(range.code, 0, range.out);
  const json = JSON.parse(range.stdout);
  assert.is(json.targets[0].label, 'main..good');
  assert.ok(json.targets[0].results.some((r) => r.id === 'test'));
  const failing = repo.lg(['check', '--range', 'main..bad']);
  assert.is(failing.code, 1, failing.out);
  assert.match(failing.out, /✖\s+clippy/);
  const all = repo.lg(['check', '--all']);
  assert.is(all.code, 0, all.out);
  assert.match(all.out, /HEAD\s+whole tree/);
  assert.is(repo.lg(['check', '--range', 'main...good']).code, 2);
});

test('a middle commit with a stale Cargo.nix refuses the push and names it, though the tip fixes it', async () => {
  repo.git('checkout', '-q', '-b', 'nix', 'main');
  const grown = structuredClone(spec);
  grown.crates.push({ name: 'loom-crate-extra', deps: ['loom-common-core'] });
  grown.migrations = await embeddedMigrations();
  const files = scaffold.workspaceFiles(grown);
  for (const [path, content] of files) if (path !== 'Cargo.nix') repo.write(path, content);
  repo.commitNoVerify('add a crate, Cargo.nix forgotten');
  const stale = repo.git('rev-parse', '--short', 'HEAD').trim();
  repo.write('Cargo.nix', files.get('Cargo.nix'));
  repo.commitNoVerify('regenerate Cargo.nix');
  const r = push('origin', 'nix');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖\s+nix-sync/);
  assert.ok(r.out.includes(`${stale} "add a crate, Cargo.nix forgotten"`), r.out);
  assert.is(remoteRef('refs/heads/nix'), null);
  repo.git('checkout', '-q', 'main');
});

test.after(() => {
  repo.remove();
  sh('rm', ['-rf', remote]);
});

test.run();
