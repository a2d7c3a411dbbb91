import type { ParsedArgs } from '../args.js';
import { installHooks } from '../install.js';

const DESCRIBE = {
  installed: 'installed',
  updated: 'already installed, refreshed',
  chained: 'installed; the hook that was there is kept and runs first',
} as const;

export async function run(_args: ParsedArgs): Promise<number> {
  const { actions } = await installHooks(process.cwd());
  for (const a of actions) {
    const text = a.action in DESCRIBE ? DESCRIBE[a.action as keyof typeof DESCRIBE] : a.action;
    process.stdout.write(`✔ ${a.hook}: ${text} (${a.path})\n`);
  }
  return 0;
}
