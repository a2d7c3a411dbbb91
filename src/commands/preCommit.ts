import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { runStaged } from '../staged.js';

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError('loom-guard pre-commit: takes no arguments (git runs it with none)');
  return runStaged(process.cwd());
}
