import type { CheckGroup } from './types.js';

/**
 * The checks the pre-commit hook and `check --staged` run, in order. Each group's module is
 * imported only when at least one of its ids is to run.
 */
export const STAGED_CHECKS: CheckGroup[] = [
  // nix-sync's group is the first entry; migrations the second.
  { ids: ['migrations'], load: async () => (await import('./migrations.js')).runGroup },
];
