import kleur from 'kleur';
import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { diagnose } from '../doctor/index.js';
import type { Finding } from '../doctor/types.js';
import { pasteable } from '../invocation.js';
import { colourEnabled } from '../report.js';
import { hanging, terminalWidth } from '../wrap.js';

const SYMBOL = { ok: '✔', warn: '⚠', error: '✖' } as const;

/** Ids wider than this do not widen the column for all: their message starts after one space. */
const MAX_ID_COLUMN = 26;

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** `12 ok, 1 warning, 0 errors` */
export function doctorSummary(findings: Finding[]): string {
  const count = (s: Finding['status']) => findings.filter((f) => f.status === s).length;
  return `${count('ok')} ok, ${plural(count('warn'), 'warning', 'warnings')}, ${plural(count('error'), 'error', 'errors')}`;
}

/**
 * The findings as aligned lines: symbol, id column (as wide as the widest id up to a cap), the
 * message; the fix under the message. On a terminal, long lines wrap under their own column.
 */
export function formatFindings(findings: Finding[], width: number | undefined, paint = { ok: (s: string) => s, warn: (s: string) => s, error: (s: string) => s, bold: (s: string) => s, dim: (s: string) => s }): string {
  const column = Math.min(MAX_ID_COLUMN, Math.max(0, ...findings.map((f) => f.id.length)));
  const indent = 2 + column + 1;
  const out: string[] = [];
  for (const f of findings) {
    const id = f.id.padEnd(column);
    const lead = 2 + id.length + 1;
    out.push(`${paint[f.status](SYMBOL[f.status])} ${paint.bold(id)} ${hanging(pasteable(f.message), lead, indent, width)}`);
    if (f.fix && f.status !== 'ok') out.push(`${' '.repeat(indent)}${paint.dim('fix:')} ${hanging(pasteable(f.fix), indent + 5, indent + 5, width)}`);
  }
  return `${out.join('\n')}\n`;
}

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`doctor: unexpected argument "${args.positionals[0]}"`);
  const findings = await diagnose(process.cwd());
  const failed = findings.some((f) => f.status === 'error');
  if (args.flags.json) {
    const paste = (f: Finding): Finding => ({ ...f, message: pasteable(f.message), ...(f.fix ? { fix: pasteable(f.fix) } : {}) });
    process.stdout.write(`${JSON.stringify({ ok: !failed, findings: findings.map(paste) }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  kleur.enabled = colourEnabled(process.stdout);
  const paint = { ok: kleur.green, warn: kleur.yellow, error: kleur.red, bold: kleur.bold, dim: kleur.dim };
  process.stdout.write(formatFindings(findings, terminalWidth(process.stdout), paint));
  process.stdout.write(`\n${doctorSummary(findings)}\n`);
  return failed ? 1 : 0;
}
