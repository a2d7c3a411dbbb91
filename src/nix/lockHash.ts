import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';

/*
 * cargo2nix 0.12 (and some 0.11 builds) writes `nixifiedLockHash = "<hex>";` into Cargo.nix and the
 * generated code throws unless it equals `builtins.hashFile "sha256" ./Cargo.lock`: the sha256 of
 * the raw lock bytes. Doing the same comparison here is exactly Nix's own test, without Nix.
 */

const ASSIGNMENT_RE = /nixifiedLockHash\s*=\s*"([^"\n]*)"/;
const ASSIGNMENT_AT = /^nixifiedLockHash\s*=\s*"([^"\n]*)"/;
/** A window that ends inside a possible assignment: the match may go on past it. */
const ASSIGNMENT_CUT = /^nixifiedLockHash\s*(=\s*("[^"\n]*)?)?$/;
const NAME = Buffer.from('nixifiedLockHash');

/** 1-based line of an offset (characters in a string, bytes in a Buffer), for messages that point into a file. */
export function lineOf(text: string | Buffer, offset: number): number {
  const next = typeof text === 'string' ? (from: number) => text.indexOf('\n', from) : (from: number) => text.indexOf(10, from);
  let line = 1;
  for (let i = next(0); i >= 0 && i < offset; i = next(i + 1)) line++;
  return line;
}

/**
 * The first match of ASSIGNMENT_RE in the file's bytes, found without decoding the whole file
 * (a generated Cargo.nix can be 100 MB): every match starts at an occurrence of the name, so each
 * occurrence is tried on a decoded window after it, and on the whole rest only when the window
 * ends inside what could still be an assignment.
 */
function findAssignment(bytes: Buffer): { value: string; index: number } | null {
  for (let at = bytes.indexOf(NAME); at >= 0; at = bytes.indexOf(NAME, at + 1)) {
    const end = Math.min(bytes.length, at + 4096);
    let window = bytes.toString('utf8', at, end);
    if (end < bytes.length && ASSIGNMENT_CUT.test(window)) window = bytes.toString('utf8', at);
    const match = ASSIGNMENT_AT.exec(window);
    if (match) return { value: match[1] as string, index: at };
  }
  return null;
}

/**
 * The lock hash recorded in a Cargo.nix (lower-case hex), or null when the file has none (older
 * cargo2nix). A hash that is there but not 64 hex digits is a malformed file, not "no hash".
 */
export function readLockHash(cargoNix: string | Buffer, file = 'Cargo.nix'): string | null {
  const found = typeof cargoNix === 'string' ? ((m) => (m ? { value: m[1] as string, index: m.index } : null))(ASSIGNMENT_RE.exec(cargoNix)) : findAssignment(cargoNix);
  if (!found) return null;
  const { value } = found;
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    throw new GuardError(
      `${file}:${lineOf(cargoNix, found.index)}: nixifiedLockHash "${value}" is not a sha256 (64 hex digits): regenerate it with loom-guard nix update`,
    );
  }
  return value.toLowerCase();
}

/** sha256 of the Cargo.lock bytes, as builtins.hashFile computes it. */
export function lockFileHash(lock: Buffer | string): string {
  return createHash('sha256').update(lock).digest('hex');
}
