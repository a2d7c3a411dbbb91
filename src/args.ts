import { UsageError } from './errors.js';

export interface FlagSpec {
  /**
   * boolean flags take no value; string flags take the next argument or `--flag=value`; list
   * flags take every following argument up to the next option (`--files a b c`), and may repeat.
   */
  [name: string]: 'boolean' | 'string' | 'list';
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses argv for one command; an unknown flag is a UsageError naming the command's --help. */
export function parseArgs(argv: string[], spec: FlagSpec, command: string): ParsedArgs {
  const flags: ParsedArgs['flags'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') || (arg.startsWith('-') && arg.length > 1)) {
      const eq = arg.indexOf('=');
      const name = (eq > 0 ? arg.slice(0, eq) : arg).replace(/^-+/, '');
      const kind = spec[name];
      if (!kind) {
        throw new UsageError(`${command}: unknown option ${arg.split('=')[0]} (see loom-guard ${command} --help)`);
      }
      if (kind === 'boolean') {
        if (eq > 0) throw new UsageError(`${command}: --${name} takes no value`);
        flags[name] = true;
      } else if (kind === 'list') {
        const values = (flags[name] as string[] | undefined) ?? [];
        if (eq > 0) values.push(arg.slice(eq + 1));
        while (i + 1 < argv.length && !(argv[i + 1] as string).startsWith('-')) values.push(argv[++i] as string);
        if (!values.length) throw new UsageError(`${command}: --${name} needs at least one value`);
        flags[name] = values;
      } else {
        const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new UsageError(`${command}: --${name} needs a value`);
        flags[name] = value;
      }
      continue;
    }
    positionals.push(arg);
  }
  return { flags, positionals };
}
