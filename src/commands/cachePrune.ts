import type { ParsedArgs } from '../args.js';
import { humanBytes, pruneCheckouts } from '../push/diskCost.js';

/** loom-guard cache prune: removes every private checkout of pre-push, and says what it freed. */
export async function run(_args: ParsedArgs): Promise<number> {
  const { removed, busy, freed } = await pruneCheckouts();
  for (const base of busy) process.stdout.write(`kept ${base}: a loom-guard run is using it\n`);
  if (!removed.length) {
    process.stdout.write('nothing to prune: no private checkout of pre-push on this machine\n');
    return 0;
  }
  const n = removed.length;
  process.stdout.write(`freed ${humanBytes(freed)}: removed ${n} private checkout${n === 1 ? '' : 's'} of pre-push (each with its target folder; the next push that needs one starts it again)\n`);
  return 0;
}
