import kleur from 'kleur';
import { CHECK_IDS } from './checkIds.js';
import { pasteable } from './invocation.js';
import { hanging, terminalWidth } from './wrap.js';

export type Status = 'pass' | 'fail' | 'skip' | 'warn' | 'cached' | 'inactive';

export interface CheckResult {
  id: string;
  status: Status;
  /** Short text after the id: `2 crates`, `Cargo.nix in sync`. */
  summary?: string;
  /** The tool's own output or the finding list: printed only when the check failed or warned. */
  details?: string;
  /** The one command or action that fixes a failure. */
  fix?: string;
  durationMs?: number;
}

/** Colour on a stream: FORCE_COLOR wins, then NO_COLOR, then whether it is a terminal. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') {
    return true;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}

const SYMBOLS: Record<Status, string> = {
  pass: '✔',
  fail: '✖',
  skip: '-',
  warn: '⚠',
  cached: '✔',
  inactive: '·',
};

/** The id column: as wide as the longest check id, so every summary starts in one column. */
const ID_WIDTH = Math.max(...CHECK_IDS.map((id) => id.length));

export interface ReporterStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** A terminal's width: long summary and fix lines wrap under their own column. */
  columns?: number;
}

/** Prints one line per check, details only where something failed, and a summary. */
export class Reporter {
  readonly results: CheckResult[] = [];
  private readonly colour: kleur.Kleur;

  constructor(
    private readonly stream: ReporterStream = process.stderr,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.colour = kleur;
    kleur.enabled = colourEnabled(stream, env);
  }

  private paint(status: Status, text: string): string {
    const c = this.colour;
    switch (status) {
      case 'pass':
      case 'cached':
        return c.green(text);
      case 'fail':
        return c.red(text);
      case 'warn':
        return c.yellow(text);
      default:
        return c.dim(text);
    }
  }

  /** A line of its own: skip notices, warnings, progress. */
  note(text: string): void {
    this.stream.write(`${this.colour.dim('loom-guard:')} ${pasteable(text)}\n`);
  }

  warn(text: string): void {
    this.stream.write(`${this.colour.yellow('⚠')} ${this.colour.dim('loom-guard:')} ${pasteable(text)}\n`);
  }

  error(text: string): void {
    this.stream.write(`${this.colour.red('✖')} ${this.colour.dim('loom-guard:')} ${pasteable(text)}\n`);
  }

  check(result: CheckResult): void {
    this.results.push(result);
    const width = terminalWidth(this.stream);
    const id = result.id.padEnd(ID_WIDTH);
    const parts = [`${this.paint(result.status, SYMBOLS[result.status])} ${this.colour.bold(id)}`];
    if (result.summary) parts.push(hanging(pasteable(result.summary), 2 + id.length + 2, 4, width));
    if (result.status === 'cached') parts.push(this.colour.dim('(cached)'));
    if (result.durationMs !== undefined) parts.push(this.colour.dim(formatDuration(result.durationMs)));
    this.stream.write(`${parts.join('  ')}\n`);
    if ((result.status === 'fail' || result.status === 'warn') && result.details) {
      const body = pasteable(result.details).trimEnd().replace(/^/gm, '    ');
      this.stream.write(`${body}\n`);
    }
    if (result.status === 'fail' && result.fix) {
      this.stream.write(`    ${this.colour.bold('fix:')} ${hanging(pasteable(result.fix), 9, 9, width)}\n`);
    }
  }

  failed(): boolean {
    return this.results.some((r) => r.status === 'fail');
  }

  summary(totalMs: number, what = 'checks'): void {
    const count = (s: Status) => this.results.filter((r) => r.status === s).length;
    const failed = count('fail');
    const passed = count('pass') + count('cached');
    const skipped = count('skip');
    const bits = [`${passed} passed`, `${failed} failed`];
    if (skipped) bits.push(`${skipped} skipped`);
    const line = `loom-guard ${what}: ${bits.join(', ')} in ${formatDuration(totalMs)}`;
    this.stream.write(`${failed ? this.colour.red(line) : this.colour.green(line)}\n`);
  }
}
