import { stagedGroups } from './definitions.js';
import type { CheckGroup } from './types.js';

/**
 * The checks the pre-commit hook and `check --staged` run, in order, derived from the
 * definitions. Each group's module is imported only when at least one of its ids is to run.
 */
export const STAGED_CHECKS: CheckGroup[] = stagedGroups();
