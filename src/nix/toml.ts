import { parse, TomlError } from 'smol-toml';
import { GuardError } from '../errors.js';

/**
 * Parses TOML or throws one GuardError line naming the file, the line and column the parser
 * points at, and `fix`.
 */
export function parseToml(text: string, file: string, fix: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'invalid TOML';
      throw new GuardError(`${file}:${error.line}:${error.column}: not valid TOML (${reason}): ${fix}`);
    }
    throw new GuardError(`${file}: not valid TOML (${(error as Error).message}): ${fix}`);
  }
}
