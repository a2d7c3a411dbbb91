// Generated hostile SQL (issue 22's "Done when"): migration sets drawn from a grammar with ATTACH,
// DETACH, VACUUM INTO, load_extension, recursive CTEs with and without an end, triggers with RAISE
// and double-quoted strings, FTS5 external content over later-renamed columns, renames, drops,
// comments hiding keywords and garbage tokens (test/helpers/sql-grammar.mjs), split across 1..5
// files. For every set, on every engine this Node has:
//   - no file appears outside the replay: not in the folder the absolute paths point into, not in
//     the working directory (relative paths), not in the repository;
//   - the run ends: the module API in a worker thread the test terminates if it does not answer,
//     the CLI as a process killed if it does not exit; a hang fails the case, a slow run does not;
//   - the outcome is a pass or findings naming a file of the set and a line; through the CLI exit
//     0 or 1, never 2, never "internal error", never a stack trace;
//   - a set with an ATTACH/DETACH/VACUUM INTO statement (and no garbage that could swallow it) is
//     refused as reaching outside; one with a query without an end is refused (timeout or an
//     earlier failure).
// Fixed seed and a modest count here; LOOM_GUARD_SQL_RUNS=<n> (and LOOM_GUARD_SQL_SEED) for more,
// as `npm run torture` does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, cleanEnv, Repo, ROOT } from './helpers/repo.mjs';
import { migrationSetArb, traits } from './helpers/sql-grammar.mjs';

const { availableEngines } = await import(join(ROOT, 'dist/sqlite/engine.js'));
const engines = availableEngines();

const SEED = Number(process.env.LOOM_GUARD_SQL_SEED ?? 22);
// Per engine; with two engines (Node 22) fewer each, so the file stays well under a minute.
const RUNS = Number(process.env.LOOM_GUARD_SQL_RUNS ?? (engines.length > 1 ? 30 : 45));
const CLI_RUNS = Math.max(6, Math.round(RUNS / 8));
/** Small, so the unbounded queries hit it quickly; a hang is judged against a far larger guard. */
const BUDGET = { statementMs: 150, runMs: 600 };
/** Past this the run did not end: a guard against a hang, not a measure of speed. */
const GUARD_MS = BUDGET.runMs + 30_000;
const DIR = 'crates/srv/migrations';
const REGISTRY = 'crates/srv/src/db.rs';

const OUTSIDE = mkdtempSync(join(tmpdir(), 'lg-fuzz-outside-'));
const CWD = mkdtempSync(join(tmpdir(), 'lg-fuzz-cwd-'));
process.on('exit', () => {
  rmSync(OUTSIDE, { recursive: true, force: true });
  rmSync(CWD, { recursive: true, force: true });
});
// Relative ATTACH and VACUUM INTO paths of the module API runs resolve here (the worker shares it).
process.chdir(CWD);

const arb = migrationSetArb(OUTSIDE);

/** Nothing in a watched folder; anything found is removed, so the next case starts clean. */
function assertEmpty(dir, what) {
  const found = readdirSync(dir);
  if (found.length) {
    for (const name of found) rmSync(join(dir, name), { recursive: true, force: true });
    assert.unreachable(`the replay created ${found.join(', ')} in ${what}`);
  }
}

/** The verdict against what the set holds: findings name a file and a line, and say what they must. */
function judge(set, findings, path) {
  const lines = new Map(set.files.map((f) => [path(f.name), f.content.split('\n').length]));
  for (const f of findings) {
    assert.ok(lines.has(f.file), `a finding names a file outside the set: ${JSON.stringify(f)}`);
    assert.ok(Number.isInteger(f.line) && f.line >= 1 && f.line <= lines.get(f.file), `a finding without a line in its file: ${JSON.stringify(f)}`);
    assert.ok(f.severity === 'error' || f.severity === 'warning', JSON.stringify(f));
    // One line (SQLite's "unrecognized token" once echoed the rest of the file), printable, short.
    assert.not.match(f.message, /internal error|[\u0000-\u001f\u007f\ufffd]/, JSON.stringify(f));
    assert.ok(f.message.length < 800, `a finding of ${f.message.length} characters: ${f.message.slice(0, 200)}`);
  }
  const t = traits(set);
  if (t.garbage) return;
  if (t.seal) assert.ok(findings.some((f) => /reaches outside the database/.test(f.message)), `an ATTACH, DETACH or VACUUM INTO passed: ${JSON.stringify(findings)}`);
  else if (t.unbounded) assert.ok(findings.some((f) => f.severity === 'error'), `a query without an end passed: ${JSON.stringify(findings)}`);
}

/** The module API in a worker thread: its answer, or { hung: true } when it gives none in time. */
class ReplayWorker {
  #worker = null;
  #ready = null;
  #waiting = new Map();
  #next = 0;

  #start() {
    this.#worker = new Worker(join(ROOT, 'test/helpers/replay-worker.mjs'), { workerData: { root: ROOT } });
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.on('error', reject);
      this.#worker.on('message', (m) => {
        if (m.ready) return resolve();
        this.#waiting.get(m.id)?.(m);
        this.#waiting.delete(m.id);
      });
    });
  }

  async run(files, options) {
    if (!this.#worker) this.#start();
    await this.#ready;
    const id = this.#next++;
    let timer;
    const answer = await Promise.race([
      new Promise((resolve) => {
        this.#waiting.set(id, resolve);
        this.#worker.postMessage({ id, files, options });
      }),
      new Promise((resolve) => (timer = setTimeout(() => resolve({ hung: true }), GUARD_MS))),
    ]);
    clearTimeout(timer);
    if (answer.hung) await this.stop();
    return answer;
  }

  async stop() {
    await this.#worker?.terminate();
    this.#worker = null;
    this.#waiting.clear();
  }
}

/** set (as JSON) -> engine -> findings: the same seed draws the same sets for every engine. */
const verdicts = new Map();

for (const engine of engines) {
  test(`generated hostile sets on ${engine} (module API, ${RUNS} runs, seed ${SEED}): no file outside, every run ends, a pass or findings with file and line`, async () => {
    const worker = new ReplayWorker();
    try {
      await fc.assert(
        fc.asyncProperty(arb, async (set) => {
          const files = set.files.map((f) => ({ path: `${DIR}/${f.name}`, content: f.content }));
          const answer = await worker.run(files, { mode: set.mode, engine, budget: BUDGET });
          assertEmpty(OUTSIDE, OUTSIDE);
          assertEmpty(CWD, 'the working directory');
          assert.not.ok(answer.hung, `the replay did not end within ${GUARD_MS} ms`);
          assert.is(answer.error, undefined, `the replay threw: ${answer.error}`);
          judge(set, answer.findings, (name) => `${DIR}/${name}`);
          const key = JSON.stringify(set);
          if (!verdicts.has(key)) verdicts.set(key, new Map());
          verdicts.get(key).set(engine, answer.findings);
        }),
        { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
      );
    } finally {
      await worker.stop();
    }
  });
}

if (engines.length > 1) {
  test(`the engines agree on the generated sets, finding for finding (${engines.join(', ')}; sets with a timeout aside)`, () => {
    let compared = 0;
    for (const [key, byEngine] of verdicts) {
      if (byEngine.size < engines.length) continue;
      const all = [...byEngine.values()];
      if (all.flat().some((f) => / never finished: /.test(f.message))) continue; // timing, not SQL
      compared++;
      for (const other of all.slice(1)) assert.equal(other, all[0], `the engines disagree on ${key}`);
    }
    assert.ok(compared >= RUNS / 3, `only ${compared} sets compared`);
  });
}

/** A Loom workspace holding the set, every file embedded by the registry (so none is unregistered). */
function repoWith(set, engine) {
  const repo = Repo.init();
  repo.write('.loom-guard.json', `${JSON.stringify({ resources: [], replay: set.mode, replayTimeoutMs: { statement: BUDGET.statementMs, run: BUDGET.runMs } }, null, 2)}\n`);
  repo.write(REGISTRY, `pub const M: &[&str] = &[\n${set.files.map((f) => `    include_str!("../migrations/${f.name}"),\n`).join('')}];\n`);
  for (const f of set.files) repo.write(`${DIR}/${f.name}`, f.content);
  repo.git('add', '-A');
  return repo;
}

/** The CLI as a process that must exit by itself: killed past the guard, which fails the case. */
function run(repo, command, args, engine) {
  const r = spawnSync(command, args, { cwd: repo.dir, env: cleanEnv({ LOOM_GUARD_SQLITE: engine }), encoding: 'utf8', timeout: GUARD_MS, killSignal: 'SIGKILL' });
  assert.is(r.signal, null, `${args.join(' ')} did not exit by itself within ${GUARD_MS} ms`);
  return { code: r.status, out: r.stdout + r.stderr };
}

/** What the repository holds besides the set: a file the replay made would show here. */
const extra = (repo) => repo.git('status', '--porcelain', '--untracked-files=all', '--ignored').split('\n').filter((l) => l && !l.startsWith('A '));

test(`generated hostile sets through the real CLI (${CLI_RUNS} runs: \`migrations check\`, and every third a real \`git commit\`): exit 0 or 1 naming file and line, never 2`, async () => {
  let i = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (set) => {
      const engine = engines[i % engines.length] === 'node:sqlite' ? 'node' : 'wasm';
      const viaCommit = i++ % 3 === 2;
      const repo = repoWith(set, engine);
      try {
        if (viaCommit) repo.install();
        const r = viaCommit ? run(repo, 'git', ['commit', '-q', '-m', 'fuzz'], engine) : run(repo, process.execPath, [CLI, 'migrations', 'check'], engine);
        assertEmpty(OUTSIDE, OUTSIDE);
        assert.equal(extra(repo), [], 'the repository holds only the set');
        assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}:\n${r.out}`);
        assert.not.match(r.out, /internal error|^\s+at .*:\d+:\d+\)?$/m, r.out);
        assert.not.match(r.out, /[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/, 'control characters or undecodable bytes echoed');
        const named = [...r.out.matchAll(/^\s*(crates\/srv\/migrations\/\d{3}_step\d+\.sql):(\d+): (warning: )?(.*)$/gm)];
        if (r.code === 1) assert.ok(named.some((m) => !m[3]), `exit 1 without an error naming file and line:\n${r.out}`);
        // The fix line fits the findings: SQL that fails the first time is not told to be idempotent.
        if (/ fails on a fresh database: /.test(r.out)) assert.match(r.out, /fix: .*make the SQL named above run on a fresh database/, r.out);
        if (!/ (fails when the server starts again|is not safe to replay)/.test(r.out)) assert.not.match(r.out, /safe to run at every start-up/, r.out);
        const findings = named.filter((m) => / (never finished|reaches outside|fails|is not safe|stopped|cannot be read|would cut)\b/.test(m[4]));
        judge(set, findings.map((m) => ({ file: m[1], line: Number(m[2]), severity: m[3] ? 'warning' : 'error', message: m[4] })), (name) => `${DIR}/${name}`);
      } finally {
        repo.remove();
      }
    }),
    { seed: SEED + 1, numRuns: CLI_RUNS, includeErrorInReport: true },
  );
});

test.run();
