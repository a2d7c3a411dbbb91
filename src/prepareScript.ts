import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';

/*
 * The `prepare` script README suggests for a devDependency install ("prepare": "loom-guard
 * install") puts the hooks back at every `npm install`, so `uninstall` takes it out again, but
 * only when it is exactly that line: a prepare script that does more is the user's, and uninstall
 * says how to change it instead. The edit removes that one line of package.json and nothing else
 * (its formatting stays), and is proven by parsing: the result must equal the old package.json
 * without the script, or nothing is written.
 */

export const SUGGESTED_PREPARE = 'loom-guard install';

export type PrepareOutcome =
  | { kind: 'none' }
  | { kind: 'removed'; file: string }
  | { kind: 'kept'; file: string; script: string; advice: string };

/** package.json's text without the suggested prepare script, or null when it cannot be cut out cleanly. */
export function withoutPrepare(text: string): string | null {
  let data: { scripts?: Record<string, unknown> };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    return null;
  }
  if (data.scripts?.prepare !== SUGGESTED_PREPARE) return null;
  const want = structuredClone(data);
  delete want.scripts?.prepare;
  const line = /^([ \t]*)"prepare"[ \t]*:[ \t]*"loom-guard install"[ \t]*(,?)[ \t]*\r?\n/m.exec(text);
  if (!line) return null;
  let before = text.slice(0, line.index);
  const after = text.slice(line.index + line[0].length);
  // The last entry of its object: the entry above loses its comma instead.
  if (!line[2]) before = before.replace(/,([ \t]*\r?\n)$/, '$1');
  const edited = before + after;
  try {
    return isDeepStrictEqual(JSON.parse(edited), want) ? edited : null;
  } catch {
    return null;
  }
}

/** Removes the suggested prepare script from the repository's package.json, or says how. */
export async function removeSuggestedPrepare(root: string): Promise<PrepareOutcome> {
  const file = join(root, 'package.json');
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return { kind: 'none' };
  let script: unknown;
  try {
    script = (JSON.parse(text) as { scripts?: Record<string, unknown> }).scripts?.prepare;
  } catch {
    return { kind: 'none' };
  }
  if (typeof script !== 'string' || !/\bloom-guard\s+install\b/.test(script)) return { kind: 'none' };
  const edited = script === SUGGESTED_PREPARE ? withoutPrepare(text) : null;
  if (edited !== null) {
    await writeFile(file, edited);
    return { kind: 'removed', file };
  }
  const advice =
    script === SUGGESTED_PREPARE
      ? 'remove it: npm pkg delete scripts.prepare'
      : `take "loom-guard install" out of it (the rest is yours), e.g. npm pkg set scripts.prepare="${script.replace(/\s*(&&|;)\s*loom-guard\s+install\b|\bloom-guard\s+install\s*(&&|;)\s*/, '').replace(/"/g, '\\"')}"`;
  return { kind: 'kept', file, script, advice };
}
