import { globToCase } from '../shimGlob.js';
import type { LintStagedConfig } from './configs.js';

/* Pure: imported by the check's definition, so the CLI's start-up stays light. */

/**
 * A config's globs as repository-relative globs the shim can compare (only widening, shimGlob.ts):
 * a glob without `/` matches a file name at any depth under the config's folder (lint-staged's
 * matchBase), one with `/` a path under it. What sh cannot say (negation, extglobs, classes,
 * ranges, `../`) widens to the whole folder. Null only when even the folder cannot be said.
 */
export function relevantGlobs(config: LintStagedConfig): string[] | null {
  const prefix = config.dir ? `${config.dir}/` : '';
  const whole = config.dir ? [config.dir, `${config.dir}/**`] : ['*'];
  if (config.dir && !/^[A-Za-z0-9_./-]+$/.test(config.dir)) return null;
  if (config.globs === null) return whole;
  const out: string[] = [];
  for (const glob of config.globs) {
    const rel = glob.replace(/^(\.\/)+/, '');
    // lint-staged decides matchBase on the glob as written, braces included.
    const forms = glob.includes('/') ? [`${prefix}${rel}`] : [`${prefix}${rel}`, `${prefix}**/${rel}`];
    // The glob on its own too: a leading `!` (negation) is no longer leading once prefixed.
    if (glob.startsWith('../') || [rel, ...forms].some((g) => globToCase(g) === null)) return whole;
    out.push(...forms);
  }
  return out;
}
