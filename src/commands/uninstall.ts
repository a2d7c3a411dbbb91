import type { ParsedArgs } from '../args.js';
import { uninstallHooks } from '../install.js';

const DESCRIBE = {
  removed: 'removed',
  restored: 'removed; the hook it had chained is back in place',
  absent: 'not installed, nothing to do',
  'foreign-kept': 'not written by loom-guard, left alone',
} as const;

export async function run(_args: ParsedArgs): Promise<number> {
  const { actions } = await uninstallHooks(process.cwd());
  for (const a of actions) {
    const text = a.action in DESCRIBE ? DESCRIBE[a.action as keyof typeof DESCRIBE] : a.action;
    process.stdout.write(`✔ ${a.hook}: ${text} (${a.path})\n`);
  }
  return 0;
}
