import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lstatSync, readFileSync, writeFileSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { snapshot } from './helpers/snapshot.mjs';
import { rng } from './helpers/rng.mjs';

/*
 * Generated cases for staging a fixer's rewrites from inside the isolated tree (checks/fixes.ts on
 * isolate/edits.ts), driven in-process: random files, each with or without a staged change, an
 * unstaged edit, a worktree deletion, plus untracked files; a "fixer" rewrites some staged files.
 * Whatever happens, no byte of the user's is lost:
 * - blocked: the working tree, index and stash are exactly as before;
 * - applied: each rewritten file's fix is in the index; its working copy is the fix (no hidden
 *   version), still deleted (deleted), or the user's version with the fix merged in (git merge-file
 *   of user, staged and fixed); every other path is byte for byte as before.
 */

const { withStagedTree } = await import(join(ROOT, 'dist/isolate/index.js'));
const { applyFixes } = await import(join(ROOT, 'dist/checks/fixes.js'));
const { repoPaths } = await import(join(ROOT, 'dist/git.js'));
const { Reporter } = await import(join(ROOT, 'dist/report.js'));


const lines = (n, tag) => Array.from({ length: n }, (_, i) => `${tag} line ${i}`);
const editLines = (r, text, tag) => {
  const ls = text.split('\n');
  const i = Math.floor(r() * (ls.length - 1));
  ls[i] = `${ls[i]} ${tag}`;
  return ls.join('\n');
};

const blob = (repo, spec) => {
  const r = sh('git', ['cat-file', 'blob', spec], { cwd: repo.dir });
  return r.code === 0 ? r.stdout : null;
};

function merge3(ours, base, theirs) {
  const dir = tempDir('loom-guard-merge-');
  writeFileSync(join(dir, 'o'), ours);
  writeFileSync(join(dir, 'b'), base);
  writeFileSync(join(dir, 't'), theirs);
  const r = sh('git', ['merge-file', '-p', '-q', join(dir, 'o'), join(dir, 'b'), join(dir, 't')]);
  rmSync(dir, { recursive: true, force: true });
  return r.code === 0 ? r.stdout : null;
}

async function runCase(seed) {
  const r = rng(seed);
  const repo = Repo.init();
  const files = Array.from({ length: 2 + Math.floor(r() * 4) }, (_, i) => `src/f${i}.txt`);
  for (const f of files) repo.write(f, `${lines(6 + Math.floor(r() * 6), f).join('\n')}\n`);
  repo.commitNoVerify('base');
  const plan = files.map((path) => ({ path, staged: r() < 0.7, worktree: ['same', 'edit', 'edit', 'delete'][Math.floor(r() * 4)], fix: r() < 0.7 }));
  for (const p of plan) {
    if (p.staged) {
      repo.write(p.path, editLines(r, repo.read(p.path), 'STAGED'));
      repo.git('add', p.path);
    }
    if (p.worktree === 'edit') repo.write(p.path, editLines(r, repo.read(p.path), 'MINE'));
    if (p.worktree === 'delete') rmSync(join(repo.dir, p.path));
  }
  if (r() < 0.5) repo.write('untracked/u.txt', 'untracked\n');
  const before = snapshot(repo.dir);
  const userVersion = Object.fromEntries(plan.map((p) => [p.path, existsSync(join(repo.dir, p.path)) ? repo.read(p.path) : null]));
  const stagedVersion = Object.fromEntries(plan.map((p) => [p.path, blob(repo, `:${p.path}`)]));
  const fixOf = (text) => text.replace(/STAGED/g, 'FIXED');

  const paths = await repoPaths(repo.dir);
  const reporter = new Reporter({ write: () => {} });
  const outcome = await withStagedTree(paths, reporter, async (edits) => {
    const targets = plan.filter((p) => p.staged && p.fix).map((p) => p.path);
    for (const t of targets) writeFileSync(join(repo.dir, t), fixOf(readFileSync(join(repo.dir, t), 'utf8')));
    const fixed = await edits.adopt((await edits.changed(plan.map((p) => p.path))).modified);
    const outcome = await applyFixes(edits, fixed);
    await outcome.commit();
    return outcome;
  });

  const after = snapshot(repo.dir);
  const where = `seed ${seed}: ${JSON.stringify(plan)}`;
  assert.not.ok(existsSync(join(paths.gitDir, 'loom-guard/backup')), `backup cleaned up (${where})`);
  if (outcome.blocked.length) {
    assert.equal(after, before, `blocked: nothing changed (${where})`);
  } else {
    for (const p of plan) {
      const fixed = outcome.staged.includes(p.path);
      const now = existsSync(join(repo.dir, p.path)) ? repo.read(p.path) : null;
      if (!fixed) {
        assert.is(now, userVersion[p.path], `untouched working copy (${where}, ${p.path})`);
        assert.is(blob(repo, `:${p.path}`), stagedVersion[p.path], `untouched index (${where}, ${p.path})`);
        continue;
      }
      const fixedText = fixOf(stagedVersion[p.path]);
      assert.is(blob(repo, `:${p.path}`), fixedText, `fix staged (${where}, ${p.path})`);
      if (p.worktree === 'same') assert.is(now, fixedText, `${p.path} shows the fix`);
      else if (p.worktree === 'delete') assert.is(now, null, `${p.path} stays deleted (${where})`);
      else assert.is(now, merge3(userVersion[p.path], stagedVersion[p.path], fixedText), `${p.path}: the user's edits with the fix merged in (${where})`);
    }
    if (before.files['untracked/u.txt']) assert.is(after.files['untracked/u.txt'], before.files['untracked/u.txt']);
  }
  assert.is(after.stash, before.stash);
  repo.remove();
  return outcome.blocked.length ? 'blocked' : outcome.staged.length ? 'applied' : 'nothing';
}

test('generated cases: a fix is staged only where it overwrites no unstaged edit, and nothing is lost', async () => {
  const seen = { blocked: 0, applied: 0, nothing: 0 };
  const base = Number(process.env.LOOM_GUARD_SEED ?? 1);
  for (let i = 0; i < 16; i++) seen[await runCase(base + i)]++;
  // The generator reaches every outcome, or it would prove little.
  assert.ok(seen.applied > 0 && seen.blocked > 0, JSON.stringify(seen));
});

test.run();
