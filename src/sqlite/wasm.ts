import type { Database, Engine } from './types.js';
import { SqliteError } from './types.js';

/*
 * The official SQLite WASM build (@sqlite.org/sqlite-wasm): FTS5, JSON functions and triggers, no
 * native addon to compile. Pinned to 3.50.4-build1: the 3.51 builds published without an `engines`
 * field ship a node entry that imports a file they do not contain, and later builds need Node 22.
 * Its node entry (`sqlite3-node.mjs`) reads the .wasm file beside it with fs; no browser, no worker.
 * Built with SQLITE_DQS=0; each connection turns double-quoted string literals back on, as an
 * application's SQLite has them (types.ts). Sealed per connection: an authorizer denies ATTACH and
 * DETACH, SQLITE_LIMIT_ATTACHED is 0 (VACUUM INTO attaches its target, so it fails too), defensive
 * mode on, and the build has no extension loading at all.
 */

type Sqlite3 = Awaited<ReturnType<typeof import('@sqlite.org/sqlite-wasm').default>>;
type OoDb = InstanceType<Sqlite3['oo1']['DB']>;

let module: Promise<Sqlite3> | null = null;

function initialise(): Promise<Sqlite3> {
  module ??= import('@sqlite.org/sqlite-wasm').then(async ({ default: init }) => {
    // The Emscripten module prints OPFS notes meant for browsers, and oo1 warns on the console about
    // every failing step: the replay reports failures itself, so the engine prints nothing.
    const quiet = () => {};
    const sqlite3 = await init({ print: quiet, printErr: quiet } as Parameters<typeof init>[0]);
    Object.assign(sqlite3.config, { warn: quiet, log: quiet, debug: quiet, error: quiet });
    return sqlite3;
  });
  return module;
}

/** How many virtual-machine steps between two looks at the clock: cheap, and well under a millisecond. */
const PROGRESS_STEPS = 4000;

function wrap(sqlite3: Sqlite3, db: OoDb): Database {
  const { capi } = sqlite3;
  let deadline: number | null = null;
  // One progress handler per connection, reading the deadline the replay moves statement by statement.
  capi.sqlite3_progress_handler(db, PROGRESS_STEPS, () => (deadline !== null && performance.now() > deadline ? 1 : 0), 0);
  /** SQLite's own message when the handle holds one; the wrapper's otherwise (e.g. empty SQL). */
  const failure = (error: unknown) =>
    new SqliteError(error instanceof sqlite3.SQLite3Error && capi.sqlite3_errcode(db) !== 0 ? capi.sqlite3_errmsg(db) : (error as Error).message);
  const prepared = new Map<string, ReturnType<OoDb['prepare']>>();
  return {
    run(sql) {
      // sqlite3_exec straight through the C API: the oo1 wrappers cost more than the statement.
      if (capi.sqlite3_exec(db, sql, 0, 0, 0) !== capi.SQLITE_OK) throw new SqliteError(capi.sqlite3_errmsg(db));
    },
    value(sql) {
      // The replay reads the same two counters around every statement: each is prepared once and
      // stepped through the C API.
      let stmt = prepared.get(sql);
      if (!stmt) {
        try {
          stmt = db.prepare(sql);
        } catch (error) {
          throw failure(error);
        }
        prepared.set(sql, stmt);
      }
      const p = stmt.pointer as number;
      const rc = capi.sqlite3_step(p);
      let value: unknown;
      if (rc === capi.SQLITE_ROW) {
        const type = capi.sqlite3_column_type(p, 0);
        if (type === capi.SQLITE_NULL) value = null;
        else if (type === capi.SQLITE_INTEGER || type === capi.SQLITE_FLOAT) value = capi.sqlite3_column_double(p, 0);
        else value = capi.sqlite3_column_text(p, 0);
      }
      const message = rc === capi.SQLITE_ROW || rc === capi.SQLITE_DONE ? null : capi.sqlite3_errmsg(db);
      capi.sqlite3_reset(p);
      if (message !== null) throw new SqliteError(message);
      return value;
    },
    rows(sql) {
      try {
        // Plain objects, as node:sqlite's rows are once copied (its own have a null prototype).
        return db.selectObjects(sql).map((row) => ({ ...row })) as Record<string, unknown>[];
      } catch (error) {
        throw failure(error);
      }
    },
    define(name, args, fn) {
      db.createFunction({
        name,
        arity: args ?? -1,
        deterministic: true,
        xFunc: (_context: number, ...values: unknown[]) => fn(...values) as never,
      });
    },
    deadline(at) {
      deadline = at;
    },
    close() {
      for (const stmt of prepared.values()) stmt.finalize();
      db.close();
    },
  };
}

export async function loadWasmEngine(): Promise<Engine> {
  const sqlite3 = await initialise();
  const { capi } = sqlite3;
  const open = (): Database => {
    const handle = new sqlite3.oo1.DB(':memory:', 'c');
    capi.sqlite3_db_config(handle, capi.SQLITE_DBCONFIG_DQS_DML, 1, 0);
    capi.sqlite3_db_config(handle, capi.SQLITE_DBCONFIG_DQS_DDL, 1, 0);
    capi.sqlite3_db_config(handle, capi.SQLITE_DBCONFIG_DEFENSIVE, 1, 0);
    capi.sqlite3_db_config(handle, capi.SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, 0);
    capi.sqlite3_limit(handle, capi.SQLITE_LIMIT_ATTACHED, 0);
    capi.sqlite3_set_authorizer(
      handle,
      (_user: number, action: number) => (action === capi.SQLITE_ATTACH || action === capi.SQLITE_DETACH ? capi.SQLITE_DENY : capi.SQLITE_OK),
      0,
    );
    const db = wrap(sqlite3, handle);
    db.run('PRAGMA foreign_keys = ON');
    return db;
  };
  return { name: 'sqlite-wasm', sqliteVersion: capi.sqlite3_libversion(), interruptible: true, open };
}
