import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { notBuilt } from '../notBuilt.js';

export async function run(args: ParsedArgs): Promise<number> {
  const modes = ['staged', 'all', 'range'].filter((m) => args.flags[m] !== undefined);
  if (modes.length > 1) throw new UsageError(`check: choose one of --staged, --all, --range (got --${modes.join(', --')})`);
  if (args.positionals.length) throw new UsageError(`check: unexpected argument "${args.positionals[0]}" (see loom-guard check --help)`);
  const mode = modes[0] ?? 'staged';
  if (mode === 'staged') {
    const { runStaged } = await import('../staged.js');
    return runStaged(process.cwd());
  }
  notBuilt(`check --${mode}`);
}
