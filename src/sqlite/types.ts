/*
 * The SQLite the replay needs, whichever engine provides it: one in-memory database, statements run
 * to completion, a few values read back, application functions stubbed. Both engines implement
 * exactly this, so the replay cannot come to depend on one engine's extras.
 */

export type EngineName = 'node:sqlite' | 'sqlite-wasm';

/** SQLite refused a statement; `message` is SQLite's own (sqlite3_errmsg), as the server would log it. */
export class SqliteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqliteError';
  }
}

export interface Database {
  /** Runs the SQL to its end (sqlite3_exec: rows a query returns are stepped past). Throws SqliteError. */
  run(sql: string): void;
  /** The first column of the first row, or undefined when there is no row. */
  value(sql: string): unknown;
  /** Every row as an object keyed by column name. */
  rows(sql: string): Record<string, unknown>[];
  /**
   * A deterministic scalar function; `args` null accepts any number of arguments. Deterministic,
   * so a stub may also stand in an index expression or a generated column.
   */
  define(name: string, args: number | null, fn: (...values: unknown[]) => unknown): void;
  /**
   * Interrupt whatever runs past `at` (a performance.now() time; null: no limit), so a statement
   * fails with SQLite's "interrupted". Only engines that can (`interruptible`); on the others the
   * replay runs in a child process that is killed at the budget (src/migrations/replayRun.ts).
   */
  deadline(at: number | null): void;
  close(): void;
}

export interface Engine {
  name: EngineName;
  /** sqlite_version() of the engine's SQLite. */
  sqliteVersion: string;
  /** Whether `Database.deadline` interrupts a running statement (a progress handler). */
  interruptible: boolean;
  /**
   * A fresh in-memory database as an application's SQLite opens one: foreign keys on (sqlx turns
   * them on), double-quoted string literals accepted (SQLite's default, which rusqlite keeps), and
   * sealed: no ATTACH, no VACUUM INTO, no extension loading (see src/migrations/seal.ts for the engine without
   * an authorizer).
   */
  open(): Database;
}
