import kleur from 'kleur';
import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { diagnose } from '../doctor/index.js';
import { colourEnabled } from '../report.js';

const SYMBOL = { ok: '✔', warn: '⚠', error: '✖' } as const;

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`doctor: unexpected argument "${args.positionals[0]}"`);
  const findings = await diagnose(process.cwd());
  const failed = findings.some((f) => f.status === 'error');
  if (args.flags.json) {
    process.stdout.write(`${JSON.stringify({ ok: !failed, findings }, null, 2)}\n`);
    return failed ? 1 : 0;
  }
  kleur.enabled = colourEnabled(process.stdout);
  const paint = { ok: kleur.green, warn: kleur.yellow, error: kleur.red } as const;
  for (const f of findings) {
    process.stdout.write(`${paint[f.status](SYMBOL[f.status])} ${kleur.bold(f.id.padEnd(14))} ${f.message}\n`);
    if (f.fix && f.status !== 'ok') process.stdout.write(`  ${' '.repeat(15)}${kleur.dim('fix:')} ${f.fix}\n`);
  }
  const count = (s: keyof typeof SYMBOL) => findings.filter((f) => f.status === s).length;
  process.stdout.write(`\n${count('ok')} ok, ${count('warn')} warnings, ${count('error')} errors\n`);
  return failed ? 1 : 0;
}
