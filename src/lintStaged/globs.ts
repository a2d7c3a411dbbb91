import type { LintStagedConfig } from './configs.js';

/* Pure: imported by the check's definition, so the CLI's start-up stays light. */

/** Expands `{a,b}` (not nested), as picomatch would: sh `case` has no braces. */
function expandBraces(glob: string): string[] {
  const m = /\{([^{}]*)\}/.exec(glob);
  if (!m) return [glob];
  return m[1]!.split(',').flatMap((alt) => expandBraces(glob.slice(0, m.index) + alt + glob.slice(m.index + m[0].length)));
}

/**
 * A config's globs as repository-relative globs the shim can compare (only widening): a glob
 * without `/` matches a file name at any depth under the config's folder (lint-staged's
 * matchBase), one with `/` a path under it. What sh cannot say (negation, extglobs, classes,
 * `../`) widens to the whole folder. Null only when even the folder cannot be said.
 */
export function relevantGlobs(config: LintStagedConfig): string[] | null {
  const prefix = config.dir ? `${config.dir}/` : '';
  const whole = config.dir ? [config.dir, `${config.dir}/**`] : ['*'];
  if (config.dir && !/^[A-Za-z0-9_./-]+$/.test(config.dir)) return null;
  if (config.globs === null) return whole;
  const out: string[] = [];
  for (const glob of config.globs) {
    const expanded = expandBraces(glob);
    if (expanded.some((g) => g.startsWith('../') || g.startsWith('!') || !/^[A-Za-z0-9_./*?-]+$/.test(g))) return whole;
    for (const g of expanded) {
      const rel = g.replace(/^\.\//, '');
      if (rel.includes('/')) out.push(`${prefix}${rel}`);
      else out.push(`${prefix}${rel}`, `${prefix}**/${rel}`);
    }
  }
  return out;
}
