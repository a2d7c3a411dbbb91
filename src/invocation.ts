import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * How the user can start loom-guard from their shell, so that every `fix:` line and every
 * message naming a loom-guard command can be pasted as is: `loom-guard nix update` when
 * loom-guard is on PATH, `npx loom-guard nix update` after a devDependency install (the hook finds
 * node_modules/.bin by itself, the user's shell does not), and otherwise the very CLI that is
 * running (`node /…/dist/cli.js nix update`, a clone that is neither). Messages are written with
 * the plain name; `pasteable` rewrites them where they are printed, so a rule stays pure and no
 * message can forget.
 */

/** The first word of every command (cli.ts): only `loom-guard <one of these>` is a command line. */
const COMMANDS = ['install', 'uninstall', 'pre-commit', 'pre-merge-commit', 'pre-push', 'post-checkout', 'post-merge', 'post-rewrite', 'check', 'doctor', 'nix', 'migrations', 'demo', 'cache'];

const executable = (file: string) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Single-quotes a word for sh when it needs it: a command line printed for pasting. */
export const shellWord = (word: string) => (/^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** What `npm run`/`npx` put on PATH for their child: not on the user's own PATH. */
const isNpmBin = (dir: string) => dir.endsWith(`${sep}node_modules${sep}.bin`) || dir.endsWith(`${sep}node_modules${sep}.bin${sep}`);

/** The folder of the loom-guard package that is running (a clone, or node_modules/loom-guard). */
export const packageRoot = () => fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');

/**
 * The command that puts loom-guard's own dependencies back where this copy lives: `npm install` in
 * the project that lists it (a copy inside node_modules), `npm ci` in a clone.
 */
export function reinstallCommand(): string {
  const root = packageRoot();
  const at = root.lastIndexOf(`${sep}node_modules${sep}`);
  return at >= 0 ? `npm install (in ${root.slice(0, at) || sep})` : `cd ${shellWord(root)} && npm ci`;
}

const memo = new Map<string, string>();

/**
 * `loom-guard`, `npx loom-guard`, or `node <this cli>`: the words that start loom-guard from a
 * shell in `cwd` with this PATH.
 */
export function invocation(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): string {
  const key = `${cwd}\0${env.PATH ?? ''}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  let found: string | null = null;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && !isNpmBin(dir) && executable(join(dir, 'loom-guard'))) {
      found = 'loom-guard';
      break;
    }
  }
  for (let dir = cwd; found === null; dir = dirname(dir)) {
    if (executable(join(dir, 'node_modules', '.bin', 'loom-guard'))) found = 'npx loom-guard';
    if (dirname(dir) === dir) break;
  }
  if (found === null) {
    const cli = fileURLToPath(new URL('./cli.js', import.meta.url));
    const node = (env.PATH ?? '').split(delimiter).some((dir) => dir && executable(join(dir, 'node'))) ? 'node' : shellWord(process.execPath);
    found = `${node} ${shellWord(cli)}`;
  }
  memo.set(key, found);
  return found;
}

const COMMAND_LINE = new RegExp(`(^|[\\s(\`'"])loom-guard (?=(?:${COMMANDS.join('|')})\\b)`, 'g');

/**
 * `text` with every `loom-guard <command>` written the way it starts here. `npx loom-guard …`
 * and paths ending in `/loom-guard` are left alone: they already say how.
 */
export function pasteable(text: string, cwd?: string, env?: NodeJS.ProcessEnv): string {
  if (!text.includes('loom-guard ')) return text;
  const how = invocation(cwd, env);
  if (how === 'loom-guard') return text;
  return text.replace(COMMAND_LINE, (match, before: string, offset: number) =>
    // `npx loom-guard install` is already pasteable wherever npx finds it.
    text.slice(Math.max(0, offset - 3), offset + before.length).endsWith('npx ') ? match : `${before}${how} `,
  );
}
