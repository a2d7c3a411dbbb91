import type { CheckGroup } from './types.js';

/**
 * The checks the pre-commit hook and `check --staged` run, in order. Each group's module is
 * imported only when at least one of its ids is to run.
 */
export const STAGED_CHECKS: CheckGroup[] = [
  { ids: ['nix-sync'], load: async () => (await import('./nixSync.js')).runNixSync },
  { ids: ['migrations'], load: async () => (await import('./migrations.js')).runGroup },
  { ids: ['fmt', 'clippy', 'build'], load: async () => (await import('./cargoStaged.js')).default },
];
