import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { cleanEnv, tempDir } from './helpers/repo.mjs';
import { join } from 'node:path';
import { cargoTargetFor, snapshot } from './helpers/snapshot.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

/*
 * Issue #20: the user keeps working while the hook runs. A "save in the editor" is made
 * deterministic by doing it from inside the run: a lint-staged task that writes a file it was not
 * given, or a rustfmt wrapper (RUSTFMT, which cargo fmt honours) that saves a file before it formats.
 * The rule under test: the hook never writes over a byte it did not write; the user's current bytes
 * stay, and whatever the hook would have written goes to a named file under recovered-<time>/.
 */

const ENV = { CARGO_TARGET_DIR: cargoTargetFor(import.meta.url), LOOM_GUARD_SKIP: 'clippy,build' };
const LIB = 'crates/loom-common-core/src/lib.rs';
const UGLY = 'pub fn add(a: u64, b: u64) -> u64 {\n    a + b\n}\n\npub   fn   twice( x:u64 )->u64{ x*2 }\n';
const PRETTY = 'pub fn add(a: u64, b: u64) -> u64 {\n    a + b\n}\n\npub fn twice(x: u64) -> u64 {\n    x * 2\n}\n';

const WEB = {
  'web/package.json': `${JSON.stringify({ name: 'web', private: true, 'lint-staged': { '*.js': ['node tools/fix.mjs', 'node tools/save.mjs'] } }, null, 2)}\n`,
  'web/tools/fix.mjs': `import { readFileSync, writeFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  const t = readFileSync(f, 'utf8');
  const u = t.replace(/\\bvar\\b/g, 'let');
  if (u !== t) writeFileSync(f, u);
}
`,
  // The "editor": while the tasks run, a save lands in SAVE_PATH (relative to the repository root).
  'web/tools/save.mjs': `import { writeFileSync, rmSync } from 'node:fs';
if (process.env.BLOCK_FILE) {
  // A task still running when the signal comes: it says so, then waits forever.
  writeFileSync(process.env.BLOCK_FILE, String(process.pid));
  setInterval(() => {}, 1000);
}
const path = process.env.SAVE_PATH;
if (path) {
  const full = new URL('../../' + path, import.meta.url);
  if (process.env.SAVE_TEXT === undefined) rmSync(full, { force: true });
  else writeFileSync(full, process.env.SAVE_TEXT);
}
`,
  'web/src/app.js': 'let a = 1;\n',
  'notes.md': 'notes v1\n',
};

const { repo } = await workspaceRepo({ crates: 2, install: false });
repo.writeAll(WEB);
repo.write('.loom-guard.json', JSON.stringify({ fmt: 'fix' }));
repo.commitNoVerify('web package, fmt fix');
repo.install();

// A rustfmt that saves $SAVE_TEXT into $SAVE_PATH (the editor) before formatting.
const realRustfmt = execFileSync('sh', ['-c', 'command -v rustfmt'], { encoding: 'utf8' }).trim();
repo.write('.tools/rustfmt', `#!/bin/sh\nif [ -n "$SAVE_PATH" ] && [ ! -e "${repo.dir}/.tools/saved" ]; then printf '%s' "$SAVE_TEXT" > "${repo.dir}/$SAVE_PATH"; : > "${repo.dir}/.tools/saved"; fi\nexec "${realRustfmt}" "$@"\n`);
chmodSync(join(repo.dir, '.tools/rustfmt'), 0o755);
repo.write('.git/info/exclude', '.tools/\n');

function clean() {
  repo.git('reset', '-q', '--hard');
  repo.git('clean', '-qfd', '-e', '.tools');
  repo.tryGit(['stash', 'clear']);
  for (const name of readdirSync(join(repo.dir, '.git/loom-guard')).filter((n) => n.startsWith('recovered-'))) {
    rmSync(join(repo.dir, '.git/loom-guard', name), { recursive: true, force: true });
  }
  rmSync(join(repo.dir, '.tools/saved'), { force: true });
}

/** Every file under the newest recovered-* folder, path -> content. */
function recovered() {
  const dir = join(repo.dir, '.git/loom-guard');
  const names = readdirSync(dir).filter((n) => n.startsWith('recovered-')).sort();
  const out = {};
  const walk = (base, rel) => {
    for (const e of readdirSync(join(base, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(base, r);
      else out[r] = readFileSync(join(base, r), 'utf8');
    }
  };
  for (const n of names) walk(join(dir, n), '');
  return out;
}

test('case 1: a save into a clean tracked file while a lint-staged task runs is kept, not overwritten', () => {
  repo.write('web/src/app.js', 'var a = 2;\n');
  repo.git('add', 'web/src/app.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'fix and save'], { env: { ...ENV, SAVE_PATH: 'notes.md', SAVE_TEXT: 'notes v2, saved while the hook ran\n' } });
  assert.is(c.code, 0, c.out);
  assert.is(repo.read('notes.md'), 'notes v2, saved while the hook ran\n', 'the save is in the working tree');
  assert.is(repo.git('show', 'HEAD:notes.md'), 'notes v1\n', 'and not committed');
  assert.is(repo.git('show', 'HEAD:web/src/app.js'), 'let a = 2;\n', 'the fix is committed');
  assert.match(c.out, /notes\.md/);
  clean();
});

test('case 1b: a clean tracked file a task deletes is put back', () => {
  repo.write('web/src/app.js', 'var a = 3;\n');
  repo.git('add', 'web/src/app.js');
  const c = repo.tryGit(['commit', '-q', '-m', 'deleting task'], { env: { ...ENV, SAVE_PATH: 'notes.md' } });
  assert.is(c.code, 0, c.out);
  assert.is(repo.read('notes.md'), 'notes v1\n');
  clean();
});

test('case 1c: a save into a clean .rs file while the fmt fixer runs is kept, not overwritten', () => {
  const other = 'crates/loom-server/src/lib.rs';
  const before = repo.read(other);
  repo.write(LIB, UGLY);
  repo.git('add', LIB);
  const saved = `${before}pub   fn  saved( ) {}\n`;
  const c = repo.tryGit(['commit', '-q', '-m', 'ugly'], { env: { ...ENV, RUSTFMT: join(repo.dir, '.tools/rustfmt'), SAVE_PATH: other, SAVE_TEXT: saved } });
  assert.is(repo.read(other), saved, `the save survives:\n${c.out}`);
  assert.is(repo.git('show', `HEAD:${other}`), before, 'and is not committed');
  clean();
});

test('case 2: a save into a partly staged file just before the fmt fixer runs is neither staged nor lost', () => {
  const staged = PRETTY.replace('x * 2', 'x*3');
  repo.write(LIB, staged);
  repo.git('add', LIB);
  const unstaged = `${staged}\npub fn mine() -> u8 {\n    7\n}\n`;
  repo.write(LIB, unstaged);
  const save = `${staged}\npub fn mine() -> u8 {\n    8 // saved while the hook ran, never staged\n}\n`;
  const c = repo.tryGit(['commit', '-q', '-m', 'partly staged'], { env: { ...ENV, RUSTFMT: join(repo.dir, '.tools/rustfmt'), SAVE_PATH: LIB, SAVE_TEXT: save } });
  const head = repo.git('show', `HEAD:${LIB}`);
  assert.not.match(head, /saved while the hook ran/, `the unstaged save is not committed:\n${c.out}`);
  const everywhere = [repo.read(LIB), ...Object.values(recovered())].join('\n');
  assert.match(everywhere, /8 \/\/ saved while the hook ran/, 'the save is in the tree or a recovered file');
  assert.match(everywhere, /fn mine\(\) -> u8 \{\n    7\n\}/, 'the earlier unstaged version too');
  clean();
});

function startDetached(command, args, env) {
  const child = spawn(command, args, { cwd: repo.dir, env: cleanEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out })));
  return { child, done };
}

async function waitFor(predicate, what, ms = 60_000) {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

for (const signal of ['SIGINT', 'SIGTERM']) {
  test(`case 3: ${signal} to the hook after a lint-staged fixer wrote: the task is stopped, every file is as it was, no scratch index is left`, async () => {
    repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1;\n');
    repo.git('add', 'web/src/app.js');
    repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1; // mine, unstaged\n');
    repo.write('web/draft.txt', 'untracked draft\n');
    const before = snapshot(repo.dir);
    const block = join(tempDir('loom-guard-block-'), 'task.pid');
    const { child, done } = startDetached('git', ['commit', '-q', '-m', 'interrupted'], { ...ENV, BLOCK_FILE: block });
    await waitFor(() => existsSync(block), 'the blocking task to start');
    const task = Number(readFileSync(block, 'utf8'));
    const hook = JSON.parse(readFileSync(join(repo.dir, '.git/loom-guard/lock'), 'utf8')).pid;
    assert.match(repo.read('web/src/app.js'), /^let a = 5;/, 'the fixer has rewritten the staged version');
    process.kill(hook, signal);
    const result = await done;
    assert.is.not(result.code, 0, result.out);
    assert.not.ok(alive(task), 'the task was stopped');
    assert.equal(snapshot(repo.dir), before, result.out);
    const left = readdirSync(join(repo.dir, '.git/loom-guard'));
    assert.not.ok(left.some((n) => n.startsWith('lint-staged-index-') || n.startsWith('recovered-') || n === 'backup'), left.join(', '));
    if (alive(task)) process.kill(task, 'SIGKILL');
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    clean();
  });
}

test('case 3k: SIGKILL to the hook while a lint-staged fixer runs, after it wrote: the next run puts your versions back and keeps the fixer\'s output aside', async () => {
  repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1;\n');
  repo.write('web/src/full.js', 'var z = 9;\n');
  repo.git('add', 'web/src/app.js', 'web/src/full.js');
  repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1; // mine, unstaged\n');
  repo.write('web/draft.txt', 'untracked draft\n');
  const before = snapshot(repo.dir);
  const block = join(tempDir('loom-guard-block-'), 'task.pid');
  const { child, done } = startDetached('git', ['commit', '-q', '-m', 'killed'], { ...ENV, BLOCK_FILE: block });
  await waitFor(() => existsSync(block), 'the blocking task to start');
  const task = Number(readFileSync(block, 'utf8'));
  const hook = JSON.parse(readFileSync(join(repo.dir, '.git/loom-guard/lock'), 'utf8')).pid;
  assert.match(repo.read('web/src/app.js'), /^let a = 5;/, 'the fixer has rewritten the staged version');
  assert.is(repo.read('web/src/full.js'), 'let z = 9;\n', 'and the fully staged file');
  process.kill(hook, 'SIGKILL');
  const result = await done;
  assert.is.not(result.code, 0, result.out);
  if (alive(task)) process.kill(task, 'SIGKILL');
  if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  assert.is(repo.git('rev-parse', 'HEAD'), before.head, 'nothing committed');
  assert.ok(existsSync(join(repo.dir, '.git/loom-guard/backup/journal.json')), 'killed with the files hidden');

  // The recovery itself killed once it kept the first fixer's output: the run after it finishes.
  const k = repo.lg(['check', '--staged', 'nix-sync'], { env: { ...ENV, LOOM_GUARD_TEST_FAULT: "SIGKILL@restore: kept a fixer's output" } });
  assert.is.not(k.code, 0, k.out);
  const r = repo.lg(['check', '--staged', 'nix-sync'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /\d file\(s\) a fixer was rewriting when the run was killed are back as they were/);
  assert.not.match(r.out, /changed while loom-guard had it hidden/, 'your version is not blamed');
  assert.equal(snapshot(repo.dir), before, r.out);
  const kept = recovered();
  assert.is(kept['web/src/app.js'], 'let a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1;\n', 'the fixer output of the partly staged file is kept');
  assert.is(kept['web/src/full.js'], 'let z = 9;\n', 'and of the fully staged one');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')));
  clean();
});

/** A partly staged and a fully staged web file the fixer rewrites, and an untracked draft. */
function fixerCase() {
  repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1;\n');
  repo.write('web/src/full.js', 'var z = 9;\n');
  repo.git('add', 'web/src/app.js', 'web/src/full.js');
  repo.write('web/src/app.js', 'var a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1; // mine, unstaged\n');
  repo.write('web/draft.txt', 'untracked draft\n');
  return snapshot(repo.dir);
}

/** A commit killed at `point`, then the next loom-guard run: the state it leaves. */
function killedThenRecovered(point) {
  const c = repo.tryGit(['commit', '-q', '-m', `killed at ${point}`], { env: { ...ENV, LOOM_GUARD_TEST_FAULT: `SIGKILL@${point}` } });
  assert.is.not(c.code, 0, c.out);
  assert.ok(existsSync(join(repo.dir, '.git/loom-guard/backup/journal.json')), `killed at ${point} with the files hidden: ${c.out}`);
  const r = repo.lg(['check', '--staged', 'nix-sync'], { env: ENV });
  assert.is(r.code, 0, r.out);
  assert.not.match(r.out, /changed while loom-guard had it hidden/, `${point}: no fixer bytes taken for yours`);
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/backup')), point);
  return { state: snapshot(repo.dir), out: r.out };
}

test('case 3p: SIGKILL at each step from the fixer starting to the fixes staged: your files come back as they were, or with the fixes staged and merged into your versions, never a mix', () => {
  // Killed once the run is over (every fix staged, every merge in): the state a later kill keeps.
  const before = fixerCase();
  const staged = killedThenRecovered('restore: start').state;
  assert.is(staged.head, before.head, 'nothing committed');
  assert.is(repo.git('show', ':web/src/full.js'), 'let z = 9;\n');
  assert.is(repo.read('web/src/app.js'), 'let a = 5;\nlet b = 1;\nlet c = 1;\nlet d = 1;\nlet e = 1; // mine, unstaged\n');
  assert.is(repo.read('web/draft.txt'), 'untracked draft\n');
  clean();
  const asBefore = ['fixer: running journaled', 'adopt: journaled a fix', 'adopt: fixer done', 'stageFixes: journaled the merges'];
  const asStaged = ['stageFixes: updated the index', 'stageFixes: journaled', 'replaceHidden: before', 'replaceHidden: wrote'];
  for (const point of [...asBefore, ...asStaged]) {
    assert.equal(fixerCase(), before);
    const { state, out } = killedThenRecovered(point);
    assert.equal(state, asBefore.includes(point) ? before : staged, `${point}: ${out}`);
    // Killed between two adopts: the fixer's output not journaled yet as a fix is kept aside.
    const kept = Object.keys(recovered()).filter((k) => k !== 'RECOVER.txt');
    assert.is(kept.length, point === 'adopt: journaled a fix' ? 1 : 0, `${point}: ${kept.join(', ')}`);
    clean();
  }
});

test.after(() => repo.remove());
test.run();
