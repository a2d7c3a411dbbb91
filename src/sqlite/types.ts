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
  close(): void;
}

export interface Engine {
  name: EngineName;
  /** sqlite_version() of the engine's SQLite. */
  sqliteVersion: string;
  /** A fresh in-memory database: foreign keys on, double-quoted string literals refused. */
  open(): Database;
}
