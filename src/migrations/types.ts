/** The rules of the migrations check, as named in findings. */
export type RuleId = 'names' | 'protected' | 'registry' | 'replay';

/** One thing wrong with one file: printed as `<file>[:<line>]: <message>`. */
export interface Finding {
  rule: RuleId;
  /** Repo-relative path of the file at fault. */
  file: string;
  line?: number;
  message: string;
  /** Warnings are printed but never block. */
  severity: 'error' | 'warning';
  /** The valid name the message tells the file to take, when it names one. */
  rename?: string;
}

/** A file as the rules see it: repo-relative path and its text. */
export interface SqlFile {
  path: string;
  content: string;
}

/**
 * What a well-named file is to its tool: applied (`plain`), sqlx's `up` and `down` halves, or
 * refinery's `unversioned` (U<n>__, applied even when numbered below the last applied one).
 */
export type MigrationKind = 'plain' | 'up' | 'down' | 'unversioned';

/** A file whose name is a well-formed migration name under the active scheme. */
export interface Migration {
  path: string;
  /** The file name alone. */
  name: string;
  /** The version: a bigint, since sqlx versions are i64 (millisecond timestamps pass 2^53). */
  number: bigint;
  /** The number as written, with its zero padding. */
  digits: string;
  /** The description. */
  slug: string;
  kind: MigrationKind;
}

export function formatFinding(f: Finding): string {
  return `${f.file}${f.line ? `:${f.line}` : ''}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`;
}
