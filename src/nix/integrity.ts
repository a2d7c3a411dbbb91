import { readLockHash } from './lockHash.js';
import { parseCargoNixPackages } from './cargoNixPackages.js';

/*
 * Is a Cargo.nix a whole file? A generator killed or failing halfway leaves it cut short, and a
 * cut Nix file leaves brackets or a string open. This scans the way the Nix lexer reads (strings
 * with `${…}` interpolation, '' strings, # and /* comments) without evaluating anything. Pure.
 */

const CLOSE: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** What is wrong with `text` as a generated Cargo.nix, or null when it looks whole. */
export function cargoNixDamage(text: string): string | null {
  if (!text.trim()) return 'it is empty';
  const stack: string[] = [];
  // The bracket depth at which each open `${…}` of a string closes (interpolations nest).
  const interpolationDepth: number[] = [];
  let lets = 0;
  // Every Nix `if` has its `else`: a file cut between them (`… then throw`) has balanced brackets.
  let ifs = 0;
  let i = 0;
  const n = text.length;
  const modes: Array<'code' | 'string' | 'indented'> = ['code'];
  while (i < n) {
    const mode = modes[modes.length - 1];
    const c = text[i] as string;
    if (mode === 'code') {
      if (c === '#') {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end + 1;
        continue;
      }
      if (c === '/' && text[i + 1] === '*') {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) return 'a comment is never closed: the file was cut short';
        i = end + 2;
        continue;
      }
      if (c === '"') {
        modes.push('string');
        i++;
        continue;
      }
      if (c === "'" && text[i + 1] === "'") {
        modes.push('indented');
        i += 2;
        continue;
      }
      if (/[A-Za-z_]/.test(c)) {
        // `let` opens what `in` closes: a file cut between them has balanced brackets.
        const word = /^[A-Za-z_][A-Za-z0-9_'-]*/.exec(text.slice(i, i + 64))?.[0] ?? c;
        if (word === 'let') lets++;
        else if (word === 'in') lets--;
        else if (word === 'if') ifs++;
        else if (word === 'else') ifs--;
        i += word.length;
        continue;
      }
      if (c in CLOSE) stack.push(CLOSE[c] as string);
      else if (c === '}' || c === ']' || c === ')') {
        const want = stack.pop();
        if (want !== c) return `an unexpected "${c}" (byte ${i + 1}): it is not a whole Nix file`;
        // The `}` of an interpolation returns to its string.
        if (c === '}' && modes.length > 1 && stack.length === interpolationDepth[interpolationDepth.length - 1]) {
          interpolationDepth.pop();
          modes.pop();
        }
      }
      i++;
      continue;
    }
    if (mode === 'string') {
      if (c === '\\') i += 2;
      else if (c === '"') {
        modes.pop();
        i++;
      } else if (c === '$' && text[i + 1] === '{') {
        interpolationDepth.push(stack.length);
        stack.push('}');
        modes.push('code');
        i += 2;
      } else i++;
      continue;
    }
    // '' string: '' ends it, ''' ''$ ''\x escape.
    if (c === "'" && text[i + 1] === "'") {
      if (text[i + 2] === "'" || text[i + 2] === '$' || text[i + 2] === '\\') i += 3;
      else {
        modes.pop();
        i += 2;
      }
    } else if (c === '$' && text[i + 1] === '{') {
      interpolationDepth.push(stack.length);
      stack.push('}');
      modes.push('code');
      i += 2;
    } else i++;
  }
  if (modes.length > 1) return 'a string is never closed: the file was cut short';
  if (lets > 0) return `${lets} let without its in: the file was cut short`;
  if (ifs > 0) return `${ifs} if without its else: the file was cut short`;
  // An expression cannot end on an operator or a keyword that takes an operand.
  const tail = text.trimEnd();
  const lastLine = tail.slice(tail.lastIndexOf('\n') + 1).trimStart();
  if (!lastLine.startsWith('#') && /(?:^|[^A-Za-z0-9_'-])(?:throw|then|else|assert|with|import|inherit|or)\s*$|(?:=|:|\+|\/\/|&&|\|\||->|!|\.|,|\?|@|<|>|-|\*)\s*$/.test(tail)) return 'it ends mid-expression: the file was cut short';
  if (stack.length) return `${stack.length} bracket${stack.length === 1 ? '' : 's'} never closed: the file was cut short`;
  let hash: string | null = null;
  try {
    hash = readLockHash(text);
  } catch (error) {
    return (error as Error).message;
  }
  if (hash === null && parseCargoNixPackages(text).length === 0) return 'it holds neither a nixifiedLockHash nor a crate: it is not a cargo2nix file';
  return null;
}
