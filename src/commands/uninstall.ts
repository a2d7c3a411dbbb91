import type { ParsedArgs } from '../args.js';
import { uninstallHooks } from '../install.js';
import { repoPaths } from '../git.js';
import { removeSuggestedPrepare } from '../prepareScript.js';

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
  // Left in place, the suggested prepare script would install the hooks again at the next npm install.
  const prepare = await removeSuggestedPrepare((await repoPaths(process.cwd())).root);
  if (prepare.kind === 'removed') process.stdout.write(`✔ package.json: removed the "prepare": "loom-guard install" script (${prepare.file})\n`);
  if (prepare.kind === 'kept') {
    process.stdout.write(`⚠ package.json: its prepare script "${prepare.script}" installs the hooks again at the next npm install: ${prepare.advice}\n`);
  }
  return 0;
}
