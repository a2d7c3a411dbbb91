import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';

/*
 * cargo2nix 0.12 (and some 0.11 builds) writes `nixifiedLockHash = "<hex>";` into Cargo.nix and the
 * generated code throws unless it equals `builtins.hashFile "sha256" ./Cargo.lock`: the sha256 of
 * the raw lock bytes. Doing the same comparison here is exactly Nix's own test, without Nix.
 */

const ASSIGNMENT_RE = /nixifiedLockHash\s*=\s*"([^"\n]*)"/;

/** 1-based line of a character offset, for error messages that point into a file. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/**
 * The lock hash recorded in a Cargo.nix (lower-case hex), or null when the file has none (older
 * cargo2nix). A hash that is there but not 64 hex digits is a malformed file, not "no hash".
 */
export function readLockHash(cargoNix: string, file = 'Cargo.nix'): string | null {
  const match = ASSIGNMENT_RE.exec(cargoNix);
  if (!match) return null;
  const value = match[1] as string;
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new GuardError(
      `${file}:${lineOf(cargoNix, match.index)}: nixifiedLockHash "${value}" is not a sha256 (64 hex digits): regenerate it with loom-guard nix update`,
    );
  }
  return value.toLowerCase();
}

/** sha256 of the Cargo.lock bytes, as builtins.hashFile computes it. */
export function lockFileHash(lock: Buffer | string): string {
  return createHash('sha256').update(lock).digest('hex');
}
