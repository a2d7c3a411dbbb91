import type { Database, EngineName } from '../sqlite/engine.js';
import { splitStatements, type NaiveCut, type Statement } from './split.js';
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
}

export interface ReplayFunction {
  name: string;
  /** The number of arguments; null accepts any number. */
  args: number | null;
}

/** How a stub reads in the check's summary line: `normalize/1`, `uuid/0`, `concat_any/*`. */
export const describeFunction = (f: ReplayFunction) => `${f.name}/${f.args ?? '*'}`;

const stub = (...values: unknown[]) => (values.length ? values[0] : null);

const IGNORED = ['already exists', 'duplicate column'];
export const isIgnoredError = (message: string) => IGNORED.some((s) => message.includes(s));

interface Snapshot {
  schema: Map<string, string>;
  counts: Map<string, number>;
}

async function openDatabase(options: ReplayOptions): Promise<Database> {
  // Loaded here, not at start-up: the SQLite build costs tens of milliseconds to load, and a
  // command that never replays (doctor) must not pay for it.
  const { loadEngine } = await import('../sqlite/engine.js');
  const engine = await loadEngine(options.engine);
  const db = engine.open();
  for (const f of options.functions ?? []) db.define(f.name, f.args, stub);
  return db;
}

function snapshot(db: Database): Snapshot {
  const rows = db.rows(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
  ) as { type: string; name: string; tbl_name: string; sql: string | null }[];
  const schema = new Map<string, string>();
  const counts = new Map<string, number>();
  for (const r of rows) {
    schema.set(`${r.type} ${r.name}`, r.sql ?? '');
    if (r.type === 'table') {
      const quoted = `"${r.name.replace(/"/g, '""')}"`;
      counts.set(r.name, Number(db.value(`SELECT count(*) FROM ${quoted}`)));
    }
  }
  return { schema, counts };
}

/** What differs from `before` to `after`, in words; empty when nothing does. */
export function describeDifference(before: Snapshot, after: Snapshot): string[] {
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

interface Parsed {
  file: SqlFile;
  statements: Statement[];
}

const execute = (db: Database, statement: Statement) => db.run(statement.sql);

/** A function SQLite lacks may be one the application registers itself: say how to declare it. */
function functionHint(message: string): string {
  const name = /^no such function: (\S+)/.exec(message)?.[1];
  return name ? ` (if the application registers ${name} on its connection, declare it in the config: "replayFunctions": {"${name}": <argument count>})` : '';
}

const quoteLine = (s: Statement) => (s.firstLine.length > 80 ? `${s.firstLine.slice(0, 77)}...` : s.firstLine);

/**
 * Splitting problems (mode loom), then the replay. Files are applied in the order given. Every
 * finding names the file, the statement's first line and SQLite's message.
 */
export async function replay(files: SqlFile[], options: ReplayOptions): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (file: string, line: number | undefined, message: string, severity: Finding['severity'] = 'error') =>
    findings.push({ rule: 'replay', file, message, severity, ...(line ? { line } : {}) });

  const parsed: Parsed[] = [];
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
    parsed.push({ file, statements: split.statements });
  }

  const db = await openDatabase(options);
  try {
    // First start-up: on an empty database everything must succeed (bar the errors Loom ignores).
    for (const { file, statements } of parsed) {
      for (const s of statements) {
        try {
          execute(db, s);
        } catch (error) {
          const message = (error as Error).message;
          if (options.mode === 'loom' && isIgnoredError(message)) continue;
          add(file.path, s.line, `\`${quoteLine(s)}\` fails on a fresh database: ${message}${functionHint(message)}`);
          return findings; // the server stops at the first failure; later files never ran
        }
      }
    }
    if (options.mode === 'once') return findings;

    // Second start-up: must change nothing. Snapshots are taken only when SQLite says something
    // changed (schema_version, total_changes), so a clean replay costs a few queries per statement.
    const first = snapshot(db);
    let current = first;
    const schemaVersion = { get: () => db.value('PRAGMA schema_version') };
    const totalChanges = { get: () => db.value('SELECT total_changes()') };
    const blamed: Array<{ file: string; statement: Statement; what: string[] }> = [];
    for (const { file, statements } of parsed) {
      for (const s of statements) {
        const version = schemaVersion.get();
        const changes = totalChanges.get();
        try {
          execute(db, s);
        } catch (error) {
          const message = (error as Error).message;
          if (isIgnoredError(message)) continue;
          add(file.path, s.line, `\`${quoteLine(s)}\` fails when the server starts again: ${message} (every start-up replays every migration: make it idempotent, e.g. INSERT OR IGNORE, CREATE … IF NOT EXISTS)`);
          continue;
        }
        if (schemaVersion.get() === version && totalChanges.get() === changes) continue;
        const next = snapshot(db);
        const what = describeDifference(current, next);
        if (what.length) blamed.push({ file: file.path, statement: s, what });
        current = next;
      }
    }
    // A statement that fails on the second start is the cause; what ran differently after it is noise.
    const failedAgain = findings.some((x) => x.severity === 'error');
    if (!failedAgain && describeDifference(first, current).length) {
      for (const b of blamed) {
        add(b.file, b.statement.line, `\`${quoteLine(b.statement)}\` is not safe to replay: run again at the next start-up, it ${b.what.join(', ')} (use INSERT OR IGNORE with a unique key, CREATE … IF NOT EXISTS)`);
      }
    }
  } finally {
    db.close();
  }
  return findings;
}
