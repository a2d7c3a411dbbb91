import type { ParsedArgs } from '../args.js';

/** What every command module exports: run with parsed arguments, return the exit code. */
export type CommandRun = (args: ParsedArgs) => Promise<number>;
