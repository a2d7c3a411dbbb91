import type { Database, Engine } from './types.js';
import { SqliteError } from './types.js';

/*
 * node:sqlite (Node >= 22.13 without a flag). @types/node 20 does not describe it, so the few
 * members used are declared here. It is taken only when it can do all the replay needs the same
 * way the WASM build does: user functions (`function()`, 22.13), and double-quoted string
 * literals accepted as an application's SQLite accepts them (the option exists from 22.16; before
 * it, the probe below decides). Otherwise loadNodeEngine says why and the WASM build is used.
 * Node 22 offers no authorizer, no limits and no progress handler: extension loading stays off
 * (allowExtension false), src/migrations/seal.ts refuses ATTACH and VACUUM INTO before a statement runs, and the
 * replay runs in a child process killed at its budget (src/migrations/replayRun.ts).
 */

interface StatementSync {
  all(): Record<string, unknown>[];
  get(): Record<string, unknown> | undefined;
}
interface DatabaseSync {
  exec(sql: string): void;
  prepare(sql: string): StatementSync;
  function(name: string, options: { deterministic?: boolean; varargs?: boolean; useBigIntArguments?: boolean }, fn: (...values: unknown[]) => unknown): void;
  close(): void;
}
interface NodeSqlite {
  DatabaseSync: new (path: string, options?: Record<string, unknown>) => DatabaseSync;
}

/** The module, or null where this Node has none. Loading it must not print Node's experimental-feature warning. */
function loadModule(): NodeSqlite | null {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  if (typeof getBuiltin !== 'function') return null;
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/sqlite/i.test(text)) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return (getBuiltin('node:sqlite') as NodeSqlite | undefined) ?? null;
  } catch {
    return null;
  } finally {
    process.emitWarning = emit;
  }
}

/** SQLite's message: node:sqlite puts sqlite3_errmsg in `message` (and the code in `errcode`). */
const failure = (error: unknown) => new SqliteError((error as Error).message);

function wrap(db: DatabaseSync): Database {
  const first = (row: Record<string, unknown> | undefined) => (row ? Object.values(row)[0] : undefined);
  const prepared = new Map<string, StatementSync>();
  return {
    run(sql) {
      // sqlite3_exec, as the WASM engine: rows a migration's query returns are stepped past, unread.
      try {
        db.exec(sql);
      } catch (error) {
        throw failure(error);
      }
    },
    value(sql) {
      // The replay reads the same two counters around every statement: each is prepared once.
      try {
        let statement = prepared.get(sql);
        if (!statement) {
          statement = db.prepare(sql);
          prepared.set(sql, statement);
        }
        return first(statement.get());
      } catch (error) {
        throw failure(error);
      }
    },
    rows(sql) {
      try {
        return db.prepare(sql).all().map((row) => ({ ...row }));
      } catch (error) {
        throw failure(error);
      }
    },
    define(name, args, fn) {
      // node:sqlite takes the argument count from the function's `length`.
      const stub = (...values: unknown[]) => fn(...values);
      if (args !== null) Object.defineProperty(stub, 'length', { value: args });
      // BigInt arguments: a stub hands back a 64-bit integer unchanged, as the WASM build does.
      db.function(name, { deterministic: true, varargs: args === null, useBigIntArguments: true }, stub);
    },
    deadline() {
      // No progress handler on Node 22: the child process running the replay is killed instead.
    },
    close() {
      db.close();
    },
  };
}

let memo: Engine | { unavailable: string } | null = null;

/** The engine, or the reason this Node cannot provide it (decided once per process). */
export function loadNodeEngine(): Engine | { unavailable: string } {
  memo ??= probeNodeEngine();
  return memo;
}

function probeNodeEngine(): Engine | { unavailable: string } {
  const sqlite = loadModule();
  if (!sqlite) return { unavailable: `Node ${process.versions.node} has no node:sqlite (it needs Node >= 22.13)` };
  const open = (): Database => {
    const db = new sqlite.DatabaseSync(':memory:', { enableForeignKeyConstraints: true, enableDoubleQuotedStringLiterals: true, allowExtension: false });
    if (typeof db.function !== 'function') {
      db.close();
      throw new SqliteError(`node:sqlite of Node ${process.versions.node} cannot define SQL functions`);
    }
    const wrapped = wrap(db);
    wrapped.run('PRAGMA foreign_keys = ON');
    return wrapped;
  };
  let probe: Database;
  try {
    probe = open();
  } catch (error) {
    return { unavailable: (error as Error).message };
  }
  try {
    // A build that cannot read "x" as a string literal would block SQL the application's SQLite runs.
    let acceptsDqs = true;
    try {
      probe.value('SELECT "loom_guard_dqs_probe"');
    } catch {
      acceptsDqs = false;
    }
    if (!acceptsDqs) return { unavailable: `node:sqlite of Node ${process.versions.node} refuses double-quoted string literals` };
    return { name: 'node:sqlite', sqliteVersion: String(probe.value('SELECT sqlite_version()')), interruptible: false, open };
  } finally {
    probe.close();
  }
}
