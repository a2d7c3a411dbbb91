import type { ParsedArgs } from '../args.js';
import { notBuilt } from '../notBuilt.js';

export async function run(_args: ParsedArgs): Promise<number> {
  notBuilt('pre-push');
}
