import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { runStaged } from '../staged.js';

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError('loom-guard pre-commit and pre-merge-commit take no arguments (git runs them with none)');
  return runStaged(process.cwd());
}
