import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { GuardError } from '../errors.js';
import type { EngineName } from '../sqlite/engine.js';
import { sealBreach, words } from './seal.js';
import { printable, quoteLine, timeoutFinding, type Budget, type Plan, type PlannedFile } from './replayRun.js';
import { splitStatements, type NaiveCut } from './split.js';
import type { Finding, SqlFile } from './types.js';

/*
 * Replay on a real SQLite engine (node:sqlite or the SQLite WASM build, see src/sqlite/engine.ts:
 * FTS5, JSON functions and triggers), the way the server meets its migrations.
 *
 * Mode `loom`: Loom has no migrations table; every start-up runs every file in order, statement by
 * statement (see split.ts for the statement model), ignoring only errors that say "already exists"
 * or "duplicate column". loom-guard runs that start-up twice on one fresh in-memory database: the
 * first must succeed, and the second must leave the schema (sqlite_master) and the row count of every
 * table as the first left them. Foreign keys are on, as sqlx turns them on for SQLite.
 *
 * Mode `once`: a tool with a migrations table runs each file once; only the first run is checked.
 *
 * Functions the application registers on its connection (config `replayFunctions`) do not exist in
 * a bare SQLite: each is stubbed to return its first argument (NULL without one), so a migration
 * that calls it replays; what it computes is the application's business, not the schema's.
 *
 * Sealed: a statement that would reach a file (ATTACH, DETACH, VACUUM INTO; seal.ts) is a finding
 * and nothing is replayed. Bounded: each statement and the whole run have a budget (config
 * `replayTimeoutMs`); past it, the statement is a finding (replayRun.ts). The run never happens in
 * this thread: a worker (WASM) or a child process (node:sqlite) is stopped at the budget, even in
 * the middle of one long function call SQLite's progress handler never interrupts.
 */

export type ReplayRunMode = 'loom' | 'once';

export interface ReplayOptions {
  mode: ReplayRunMode;
  /** Files new or edited in the change: where a plain split on `;` would cut one, it gets a warning. */
  changed?: Set<string>;
  /** Application-defined SQL functions to stub (config `replayFunctions`). */
  functions?: ReplayFunction[];
  /** Run on this engine rather than the best one the runtime has (tests run each). */
  engine?: EngineName;
  /** Config `replayBase`: SQL applied first, as a base schema made elsewhere; never judged. */
  base?: SqlFile[];
  /** Config `replayTimeoutMs`; DEFAULT_BUDGET when absent. */
  budget?: Budget;
  /** Where verdicts are cached by content (replayCache.ts); none: always replay. */
  cacheDir?: string;
}

/** Generous for any real migration (the corpus's largest set replays in well under a second). */
export const DEFAULT_BUDGET: Budget = { statementMs: 5000, runMs: 30000 };

export interface ReplayFunction {
  name: string;
  /** The number of arguments; null accepts any number. */
  args: number | null;
}

/** How a stub reads in the check's summary line: `normalize/1`, `uuid/0`, `concat_any/*`. */
export const describeFunction = (f: ReplayFunction) => `${f.name}/${f.args ?? '*'}`;

/** NUL bytes, or bytes that did not decode as UTF-8 (read as U+FFFD). */
export const isBinary = (content: string) => content.includes('\u0000') || content.includes('\ufffd');

/** A statement of a sealed replay would reach a file: the finding naming it, else null. */
function sealFinding(file: SqlFile, sql: string, line: number, firstLine: string): Finding | null {
  const breach = sealBreach(sql);
  if (!breach) return null;
  // The line of the breaching keyword itself: `line` is the statement's first code, which may stand
  // lines before it (EXPLAIN, or a VACUUM whose INTO follows).
  let at = line;
  const code = words(sql).next().value?.pos ?? breach.offset;
  for (let i = code; i < breach.offset; i++) if (sql.charCodeAt(i) === 10) at++;
  return {
    rule: 'replay',
    file: file.path,
    line: at,
    severity: 'error',
    message: `\`${quoteLine({ firstLine })}\` reaches outside the database: ${breach.what}, and the replay touches no file (a migration has no business opening other database files: remove it, or run it outside the migrations)`,
  };
}

function plan(file: SqlFile): PlannedFile {
  return { path: file.path, statements: splitStatements(file.content).statements.map((s) => ({ sql: s.sql, line: s.line, firstLine: s.firstLine })) };
}

/**
 * Splitting problems (mode loom), then the replay. Files are applied in the order given. Every
 * finding names the file, the statement's first line and SQLite's message.
 */
export async function replay(files: SqlFile[], options: ReplayOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (file: string, line: number | undefined, message: string, severity: Finding['severity'] = 'error') =>
    findings.push({ rule: 'replay', file, message, severity, ...(line ? { line } : {}) });

  const planned: PlannedFile[] = [];
  // A binary file is not SQL: the server's runner fails on it, and its bytes are never echoed.
  const binary = [...(options.base ?? []), ...files].filter((f) => isBinary(f.content));
  if (binary.length) {
    for (const f of binary) add(f.path, undefined, 'holds binary data (NUL bytes or bytes that are not UTF-8), not SQL text: the server cannot run it; restore the SQL text or remove the file');
    return findings;
  }
  for (const file of files) {
    const split = splitStatements(file.content);
    if (split.unterminated) {
      add(file.path, split.unterminated.line, `${split.unterminated.what}: everything after it is swallowed into one statement`);
    }
    if (options.mode === 'loom' && split.naiveCuts.length && options.changed?.has(file.path)) {
      // Not a block: the statement model (split.ts) keeps these whole, as the corpus runner does.
      // But a runner that really splits on every `;` (Loom's generic loop) cuts them, so the
      // author of a new or edited file hears about it once.
      const where = split.naiveCuts.map((c) => `line ${c.line} (${c.inside})`);
      const first = split.naiveCuts[0] as NaiveCut;
      add(
        file.path,
        first.line,
        `a plain split on \`;\` would cut statements at ${where.join(', ')}: make sure the server runs this file with a splitter that keeps them whole (Loom's runner does that by hand for 005_thread_fts.sql)`,
        'warning',
      );
    }
    planned.push({ path: file.path, statements: split.statements.map((s) => ({ sql: s.sql, line: s.line, firstLine: s.firstLine })) });
  }
  const base = (options.base ?? []).map(plan);
  // Sealed before anything runs: the whole set, base included, is read for statements that reach a file.
  let breached = false;
  for (const [file, p] of [...(options.base ?? []).map((f, i) => [f, base[i]] as const), ...files.map((f, i) => [f, planned[i]] as const)]) {
    for (const s of p?.statements ?? []) {
      const breach = sealFinding(file, s.sql, s.line, s.firstLine);
      if (breach) {
        findings.push(breach);
        breached = true;
      }
    }
  }
  if (breached) return findings;

  const job: Plan = { mode: options.mode, base, files: planned, budget: options.budget ?? DEFAULT_BUDGET };
  findings.push(...(await runReplay(job, options)));
  return findings;
}

/** The run on the engine asked for: the WASM build in a worker thread, node:sqlite in a child process; both stopped at the budget. */
async function runReplay(job: Plan, options: ReplayOptions): Promise<Finding[]> {
  // Loaded here, not at start-up: the SQLite build costs tens of milliseconds to load, and a
  // command that never replays (doctor) must not pay for it; a cached verdict does not load it either.
  const { engineIdentity, pickEngine } = await import('../sqlite/engine.js');
  if (!options.cacheDir) return runOnEngine(job, options);
  const { ReplayCache, replayKey } = await import('./replayCache.js');
  const cache = new ReplayCache(options.cacheDir);
  const key = replayKey(job, options.functions ?? [], engineIdentity(pickEngine(options.engine)));
  const cached = await cache.get(key);
  if (cached) return cached;
  const findings = await runOnEngine(job, options);
  await cache.put(key, findings);
  return findings;
}

async function runOnEngine(job: Plan, options: ReplayOptions): Promise<Finding[]> {
  const { isEngineAlias, loadEngine, pickEngine } = await import('../sqlite/engine.js');
  const name = pickEngine(options.engine);
  const forced = options.engine ? undefined : process.env.LOOM_GUARD_SQLITE?.trim();
  // node:sqlite is checked here (a Node without it is one line, exit 2), as is a bad forced value;
  // the WASM build loads in the worker, never in this thread.
  if (name === 'node:sqlite' || (forced && !isEngineAlias(forced))) await loadEngine(options.engine);
  return name === 'node:sqlite' ? runInChild(job, options.functions ?? []) : runInWorker(job, options.functions ?? []);
}

/** What a runner (child process or worker thread) reports, one message per event. */
interface RunnerMessage {
  at?: [number, number];
  finding?: Finding;
  done?: boolean;
  error?: string;
  /** A set-up error (the engine cannot load): exit 2 with this line, not a finding. */
  fatal?: string;
}

interface Runner {
  /** Stops the run now: SIGKILL for a child, terminate() for a worker. */
  kill(): void;
}

/** How long a runner may take to start (Node, the engine) before its first statement. */
const START_MS = 30_000;
/** How much longer than the budget the parent waits for a worker that interrupts itself. */
const WORKER_GRACE_MS = 250;
const isTimeout = (f: Finding) => / never finished: /.test(f.message);

/**
 * Runs the plan in a runner started by `start`, which reports each statement as it starts: the
 * runner is stopped when one statement (or the run) passes its budget, and the statement running
 * then is the finding. Every finding sent before is kept. The budgets count from the first
 * statement: starting Node or the engine is not the migrations' time.
 */
function supervise(
  job: Plan,
  engine: string,
  grace: number,
  start: (events: { message(m: RunnerMessage): void; stderr(text: string): void; end(): void }) => Runner,
): Promise<Finding[]> {
  const all = [...job.base, ...job.files];
  return new Promise((resolve, reject) => {
    const findings: Finding[] = [];
    let at: [number, number] | null = null;
    let done = false;
    let settled = false;
    let errorText = '';
    let fatal: string | null = null;
    let runTimer = setTimeout(() => expire(true), START_MS + job.budget.runMs);
    let statementTimer: NodeJS.Timeout | null = null;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(runTimer);
      if (statementTimer) clearTimeout(statementTimer);
      if (fatal !== null) reject(new GuardError(fatal));
      else resolve(findings);
    };
    const expire = (run: boolean) => {
      if (done || settled) return;
      runner.kill();
      const file = at ? all[at[0]] : job.files[0];
      const s = file?.statements[at ? at[1] : 0];
      // A runner that stops itself at the budget may have said so already.
      if (file && s && !findings.some(isTimeout)) findings.push(timeoutFinding(file.path, s, job.budget, run));
      finish();
    };
    const runner = start({
      message(m) {
        if (m.at) {
          if (!at) {
            clearTimeout(runTimer);
            runTimer = setTimeout(() => expire(true), job.budget.runMs + 1000 + grace);
          }
          at = m.at;
          if (statementTimer) clearTimeout(statementTimer);
          statementTimer = setTimeout(() => expire(false), job.budget.statementMs + grace);
        } else if (m.finding) findings.push(m.finding);
        else if (m.done) {
          done = true;
          finish(); // a worker stays alive for the next replay; a child exits by itself
        }
        else if (m.fatal) fatal = m.fatal;
        else if (m.error) errorText = m.error;
      },
      stderr(text) {
        if (errorText.length < 2000) errorText += text;
      },
      end() {
        if (settled) return;
        if (!done && fatal === null) {
          const file = at ? all[at[0]] : job.files[0];
          const s = file?.statements[at ? at[1] : 0];
          findings.push({
            rule: 'replay',
            file: file?.path ?? '.',
            ...(s ? { line: s.line } : {}),
            severity: 'error',
            message: `the replay on ${engine} stopped${s ? ` at \`${quoteLine(s)}\`` : ''}: ${printable(errorText.trim().split('\n')[0] ?? '') || 'it ended without a result'}`,
          });
        }
        finish();
      },
    });
  });
}

/**
 * node:sqlite has no progress handler on Node 22, and a worker thread cannot stop its native code:
 * the run goes to a child process, killed when a statement (or the run) passes its budget.
 */
function runInChild(job: Plan, functions: ReplayFunction[]): Promise<Finding[]> {
  const script = new URL('./replayChild.js', import.meta.url);
  return supervise(job, 'node:sqlite', 0, (events) => {
    const child = spawn(process.execPath, ['--no-warnings', fileURLToPath(script)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          events.message(JSON.parse(line) as RunnerMessage);
        } catch {
          // not one of ours
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => events.stderr(chunk));
    child.on('error', (error) => events.stderr(error.message));
    child.on('close', () => events.end());
    child.stdin.on('error', () => {});
    child.stdin.end(JSON.stringify({ plan: job, functions }));
    return { kill: () => child.kill('SIGKILL') };
  });
}

/** A worker whose last replay ended cleanly, kept (unreferenced) for the next one. */
let idleWorker: Worker | null = null;

/**
 * The WASM build in a worker thread (replayWorker.ts): its progress handler stops a statement
 * between steps, and terminate() stops one long function call the handler never sees. The
 * parent's timers wait a little longer than the budget, so the worker's own finding comes first.
 */
function runInWorker(job: Plan, functions: ReplayFunction[]): Promise<Finding[]> {
  return supervise(job, 'the SQLite WASM build', WORKER_GRACE_MS, (events) => {
    const worker = idleWorker ?? new Worker(new URL('./replayWorker.js', import.meta.url));
    idleWorker = null;
    worker.ref();
    const onMessage = (m: RunnerMessage) => {
      if (m.done) {
        detach();
        worker.unref();
        idleWorker = worker;
      }
      events.message(m);
    };
    const onError = (error: Error) => events.stderr(error.message);
    const onExit = () => {
      detach();
      events.end();
    };
    const detach = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ plan: job, functions });
    return {
      kill: () => {
        detach();
        void worker.terminate();
      },
    };
  });
}
