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
}

/** A file as the rules see it: repo-relative path and its text. */
export interface SqlFile {
  path: string;
  content: string;
}

/** A file whose name is a well-formed migration name. */
export interface Migration {
  path: string;
  /** The file name alone. */
  name: string;
  number: number;
  /** The number as written, with its zero padding. */
  digits: string;
  slug: string;
}

export function formatFinding(f: Finding): string {
  return `${f.file}${f.line ? `:${f.line}` : ''}: ${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`;
}
