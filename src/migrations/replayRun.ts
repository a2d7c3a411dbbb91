import type { Database } from '../sqlite/types.js';
import type { Finding } from './types.js';

/*
 * The replay proper, on one open database: the base schema, then the first start-up (everything
 * must succeed), then for mode `loom` the second (it must change nothing). replay.ts has parsed and
 * sealed the statements; this module only runs them, inside a time budget, and turns every error
 * SQLite raises (in a statement, in a snapshot) into a finding. It runs in a worker thread on the
 * WASM build (replayWorker.ts: its progress handler interrupts a statement, and the parent
 * terminates the thread when one function call outlasts the budget), and in a child process, killed
 * at the budget, on node:sqlite, which cannot interrupt (replayChild.ts).
 */

export interface PlannedStatement {
  sql: string;
  line: number;
  firstLine: string;
}

export interface PlannedFile {
  path: string;
  statements: PlannedStatement[];
}

export interface Budget {
  /** Longest one statement (with the snapshot after it) may run, in ms. */
  statementMs: number;
  /** Longest the whole replay may run, in ms. */
  runMs: number;
}

export interface Plan {
  mode: 'loom' | 'once';
  /** Config `replayBase`: applied once before the first start-up, never judged. */
  base: PlannedFile[];
  files: PlannedFile[];
  budget: Budget;
}

/** What a run reports as it goes: a child process sends each over its pipe, so none is lost on a kill. */
export interface RunEvents {
  /** A statement starts: `file` indexes base files first, then the plan's files. */
  statement(file: number, index: number): void;
  finding(finding: Finding): void;
}

const IGNORED = ['already exists', 'duplicate column'];
export const isIgnoredError = (message: string) => IGNORED.some((s) => message.includes(s));

/** Longest piece of SQLite's message a finding quotes: its `unrecognized token` can echo the rest of the file. */
const MESSAGE_MAX = 160;

/**
 * Text safe to print on a terminal, on one line (a finding is one line): line breaks and tabs
 * become a space, other control characters and undecodable bytes `?`, and a message longer than
 * MESSAGE_MAX is cut with `…`.
 */
export const printable = (text: string) => {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\t\n\r]+/g, ' ').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, '?');
  return line.length > MESSAGE_MAX ? `${line.slice(0, MESSAGE_MAX - 1)}…` : line;
};

export const quoteLine = (s: Pick<PlannedStatement, 'firstLine'>) => printable(s.firstLine.length > 80 ? `${s.firstLine.slice(0, 77)}...` : s.firstLine);

/** The finding for a statement that ran past its budget (or the run's), on either engine. */
export function timeoutFinding(path: string, s: PlannedStatement, budget: Budget, run: boolean): Finding {
  const why = run
    ? `the replay ran past its budget of ${budget.runMs} ms while it ran`
    : `it ran past its budget of ${budget.statementMs} ms`;
  return {
    rule: 'replay',
    file: path,
    line: s.line,
    severity: 'error',
    message: `\`${quoteLine(s)}\` never finished: ${why} (a query without an end, e.g. a recursive CTE without a LIMIT, would hang the server's start-up the same way; if it is only slow, raise "replayTimeoutMs" in the config)`,
  };
}

interface Snapshot {
  schema: Map<string, string>;
  counts: Map<string, number>;
  /** Tables SQLite could not read, with its message. */
  unreadable: Map<string, string>;
}

function snapshot(db: Database): Snapshot {
  const rows = db.rows(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
  ) as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const schema = new Map<string, string>();
  const counts = new Map<string, number>();
  const unreadable = new Map<string, string>();
  for (const r of rows) {
    schema.set(`${r.type} ${r.name}`, r.sql ?? '');
    // A virtual table's rows live in its shadow tables (counted themselves) or elsewhere: an FTS5
    // external-content table reads its content table, and fails when a column it names is gone.
    if (r.type !== 'table' || /^\s*CREATE\s+VIRTUAL\b/i.test(r.sql ?? '')) continue;
    const quoted = `"${r.name.replace(/"/g, '""')}"`;
    try {
      counts.set(r.name, Number(db.value(`SELECT count(*) FROM ${quoted}`)));
    } catch (error) {
      const message = printable((error as Error).message);
      if (message === 'interrupted') throw error;
      unreadable.set(r.name, message);
    }
  }
  return { schema, counts, unreadable };
}

/** What differs from `before` to `after`, in words; empty when nothing does. */
export function describeDifference(before: Pick<Snapshot, 'schema' | 'counts'>, after: Pick<Snapshot, 'schema' | 'counts'>): string[] {
  const out: string[] = [];
  for (const [key, sql] of after.schema) {
    const old = before.schema.get(key);
    if (old === undefined) out.push(`adds ${key}`);
    else if (old !== sql) out.push(`changes the definition of ${key}`);
  }
  for (const key of before.schema.keys()) if (!after.schema.has(key)) out.push(`drops ${key}`);
  for (const [table, n] of after.counts) {
    const old = before.counts.get(table);
    if (old !== undefined && old !== n) out.push(`takes table ${table} from ${old} to ${n} rows`);
  }
  return out;
}

/** A function SQLite lacks may be one the application registers itself: say how to declare it. */
function functionHint(message: string): string {
  const name = /^no such function: (\S+)/.exec(message)?.[1];
  return name ? ` (if the application registers ${name} on its connection, declare it in the config: "replayFunctions": {"${name}": <argument count>})` : '';
}

class Stop extends Error {}

/**
 * Runs the plan on `db`, reporting through `events`. Never throws for anything SQLite says: a
 * failure is a finding, a statement past its budget is a finding, and the run stops there.
 */
export function runPlan(db: Database, plan: Plan, events: RunEvents): void {
  const started = performance.now();
  const runEnd = started + plan.budget.runMs;
  const add = (file: string, s: PlannedStatement | null, message: string, severity: Finding['severity'] = 'error') =>
    events.finding({ rule: 'replay', file, message, severity, ...(s?.line ? { line: s.line } : {}) });
  const baseCount = plan.base.length;
  let current: { path: string; statement: PlannedStatement } | null = null;

  /** Runs `work` for statement `s` of file `fileIndex` within the budget; a timeout stops the run. */
  const within = <T>(fileIndex: number, path: string, s: PlannedStatement, index: number, work: () => T): T => {
    if (current?.statement !== s) events.statement(fileIndex, index);
    current = { path, statement: s };
    const now = performance.now();
    if (now > runEnd) {
      events.finding(timeoutFinding(path, s, plan.budget, true));
      throw new Stop();
    }
    db.deadline(Math.min(now + plan.budget.statementMs, runEnd));
    try {
      return work();
    } catch (error) {
      if ((error as Error).message === 'interrupted') {
        events.finding(timeoutFinding(path, s, plan.budget, performance.now() >= runEnd));
        throw new Stop();
      }
      throw error;
    } finally {
      db.deadline(null);
    }
  };

  try {
    plan.base.forEach((file, f) => {
      file.statements.forEach((s, i) => {
        try {
          within(f, file.path, s, i, () => db.run(s.sql));
        } catch (error) {
          if (error instanceof Stop) throw error;
          add(file.path, s, `\`${quoteLine(s)}\` of the base schema (config "replayBase") fails: ${printable((error as Error).message)} (the base is applied before the migrations and must run on an empty database)`);
          throw new Stop();
        }
      });
    });

    // First start-up: on an empty database everything must succeed (bar the errors Loom ignores).
    plan.files.forEach((file, f) => {
      file.statements.forEach((s, i) => {
        try {
          within(baseCount + f, file.path, s, i, () => db.run(s.sql));
        } catch (error) {
          if (error instanceof Stop) throw error;
          // Judged on SQLite's own text: the printable one may be cut before "already exists".
          if (plan.mode === 'loom' && isIgnoredError((error as Error).message)) return;
          const message = printable((error as Error).message);
          add(file.path, s, `\`${quoteLine(s)}\` fails on a fresh database: ${message}${functionHint(message)}`);
          throw new Stop(); // the server stops at the first failure; later files never ran
        }
      });
    });
    if (plan.mode === 'once') return;

    // Second start-up: must change nothing. Snapshots are taken only when SQLite says something
    // changed (schema_version, total_changes), so a clean replay costs a few queries per statement.
    const lastFile = plan.files.at(-1);
    const lastStatement = lastFile?.statements.at(-1);
    if (!lastFile || !lastStatement) return;
    const first = within(baseCount + plan.files.length - 1, lastFile.path, lastStatement, lastFile.statements.length - 1, () => snapshot(db));
    let now = first;
    const reported = new Set<string>();
    const noteUnreadable = (path: string, s: PlannedStatement, snap: Snapshot) => {
      for (const [table, message] of snap.unreadable) {
        if (reported.has(table)) continue;
        reported.add(table);
        add(path, s, `table ${table} cannot be read after \`${quoteLine(s)}\`: ${message} (its rows are not compared between start-ups; a query on it fails the same way in the application)`, 'warning');
      }
    };
    noteUnreadable(lastFile.path, lastStatement, first);
    const blamed: Array<{ file: string; statement: PlannedStatement; what: string[] }> = [];
    let failedAgain = false;
    plan.files.forEach((file, f) => {
      file.statements.forEach((s, i) => {
        within(baseCount + f, file.path, s, i, () => {
          const version = db.value('PRAGMA schema_version');
          const changes = db.value('SELECT total_changes()');
          try {
            db.run(s.sql);
          } catch (error) {
            if ((error as Error).message === 'interrupted') throw error;
            if (isIgnoredError((error as Error).message)) return;
            const message = printable((error as Error).message);
            failedAgain = true;
            add(file.path, s, `\`${quoteLine(s)}\` fails when the server starts again: ${message} (every start-up replays every migration: make it idempotent, e.g. INSERT OR IGNORE, CREATE … IF NOT EXISTS)`);
            return;
          }
          if (db.value('PRAGMA schema_version') === version && db.value('SELECT total_changes()') === changes) return;
          const next = snapshot(db);
          noteUnreadable(file.path, s, next);
          const what = describeDifference(now, next);
          if (what.length) blamed.push({ file: file.path, statement: s, what });
          now = next;
        });
      });
    });
    // A statement that fails on the second start is the cause; what ran differently after it is noise.
    if (!failedAgain && describeDifference(first, now).length) {
      for (const b of blamed) {
        add(b.file, b.statement, `\`${quoteLine(b.statement)}\` is not safe to replay: run again at the next start-up, it ${b.what.join(', ')} (use INSERT OR IGNORE with a unique key, CREATE … IF NOT EXISTS)`);
      }
    }
  } catch (error) {
    if (error instanceof Stop) return;
    // Anything else SQLite raised outside a statement (a snapshot's query): a finding, not a crash.
    const at = current as { path: string; statement: PlannedStatement } | null;
    add(at?.path ?? plan.files[0]?.path ?? '.', at?.statement ?? null, `the replay stopped${at ? ` after \`${quoteLine(at.statement)}\`` : ''}: ${printable((error as Error).message)}`);
  }
}
