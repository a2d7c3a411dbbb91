import type { CheckId } from './checkIds.js';
import type { CheckDefinition, RelevanceFacts } from './checks/definition.js';
import { CHECKS } from './checks/definitions.js';
import type { OutsideReads } from './cargo/outsideReads.js';
import { globToCase } from './shimGlob.js';

/*
 * The patterns the pre-commit shim uses to decide, without Node, that nothing relevant is staged.
 * Erring towards "relevant" only costs a Node start; erring the other way would let a commit skip its
 * checks, so anything that cannot be expressed exactly disables the no-op path altogether.
 */

/** Files whose change since install means the shim's patterns may be stale: Node decides then. */
export const WATCH_FILES = ['.loom-guard.json', 'package.json', 'Cargo.toml'];

/**
 * Files that change what is relevant (the config, a lint-staged config, a crate's manifest), at any
 * depth: staging one always hands over, whatever the checks say, and Node refreshes the shim.
 */
export const CONFIG_SOURCES = [
  '.loom-guard.json',
  'package.json',
  'package.yaml',
  'package.yml',
  '.lintstagedrc*',
  'lint-staged.config.*',
  'Cargo.toml',
].flatMap((name) => [name, `*/${name}`]);

export interface ShimPatterns {
  /** The checks' relevant paths and the config sources. */
  patterns: string[];
  /** The files and folders cargo's dep-info shows read outside every crate folder (readPatterns). */
  reads?: string[];
  /**
   * The working tree (real path) whose dep-info was complete when the patterns were written: there,
   * a file outside every crate folder that no pattern names is read by no unit. Null: any may be.
   */
  readsComplete: string | null;
}

/** A name as one sh word that matches exactly itself in a `case` pattern, whatever it holds. */
export const exactWord = (name: string): string => `'${name.replace(/'/g, `'\\''`)}'`;

/**
 * The files and folders cargo's dep-info shows read outside every crate folder, as exact `case`
 * patterns (a folder read whole: itself and everything under it).
 */
export function readPatterns(reads: Pick<OutsideReads, 'files' | 'folders'>): string[] {
  const out = reads.files.map(exactWord);
  for (const dir of reads.folders) out.push(...(dir === '' ? ['*'] : [exactWord(dir), `${exactWord(dir)}/*`]));
  return out;
}

/**
 * Each staged check's relevant paths as sh patterns (checks/definitions.ts), or null for a check
 * whose paths cannot be expressed. Checks without a staged run are left out.
 */
export function checkPatterns(facts: RelevanceFacts): Array<{ id: CheckId; patterns: string[] | null }> {
  return CHECKS.filter((c) => c.staged).map((check) => {
    const globs = (check as CheckDefinition<CheckId>).relevant?.(facts) ?? null;
    if (globs === null) return { id: check.id, patterns: null };
    const patterns: string[] = [];
    for (const glob of globs) {
      const own = globToCase(glob);
      if (own === null) return { id: check.id, patterns: null };
      patterns.push(...own);
    }
    return { id: check.id, patterns: [...new Set(patterns)] };
  });
}

/**
 * The shim's patterns: the config sources and every staged check's relevant paths. Null disables
 * the no-op path: a check whose paths sh cannot express (a root package, an odd glob or folder).
 */
export function shimPatterns(facts: RelevanceFacts, reads: OutsideReads | null = null, root: string | null = null): ShimPatterns | null {
  const patterns = new Set(CONFIG_SOURCES);
  for (const { patterns: own } of checkPatterns(facts)) {
    if (own === null) return null;
    for (const p of own) patterns.add(p);
  }
  return { patterns: [...patterns], reads: reads ? readPatterns(reads) : [], readsComplete: reads?.complete && root !== null ? root : null };
}

/** The sh function the shim calls for each staged path. */
export function relevantFunction(shim: ShimPatterns): string {
  // Patterns are `*`, `?`, [A-Za-z0-9_./-] and single-quoted literals (shimGlob.ts, exactWord):
  // nothing a shell could read as code.
  return [
    'relevant() {',
    '  case $1 in',
    `    ${shim.patterns.join(' | ')}) return 0 ;;`,
    '  esac',
    readsLine(shim.reads ?? []),
    // Named by no check and by no record: unread only where the records were complete.
    READS_HERE,
    '  return 1',
    '}',
  ].join('\n');
}

/** The line of relevant() that only the dep-info decides; the one before it is readsLine. */
export const READS_HERE = '  [ "$reads_here" = 1 ] || return 0';

/**
 * The files read outside the crates as one line of relevant(), so a refresh after a build can
 * compare and replace it alone (install.ts, refreshReads) without computing the checks' patterns.
 */
export const readsLine = (reads: readonly string[]): string => (reads.length ? `  case $1 in ${reads.join(' | ')}) return 0 ;; esac` : '  : no file read outside the crate folders');

/** The shim's record of where the dep-info was complete (its `reads_complete=` line). */
export const readsCompleteLine = (shim: ShimPatterns): string => `reads_complete=${shim.readsComplete === null ? "''" : exactWord(shim.readsComplete)}`;
