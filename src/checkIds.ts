/*
 * The check ids, in the order they run and are reported. A leaf: it imports nothing, so the skip
 * parser and the CLI help need no check definition, and the definitions (checks/definitions.ts),
 * which must list exactly these ids in this order (checked there at compile time), import it
 * instead of the other way round.
 */
export const CHECK_IDS = ['nix-sync', 'migrations', 'fmt', 'clippy', 'build', 'test', 'lint-staged'] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export function isCheckId(value: string): value is CheckId {
  return (CHECK_IDS as readonly string[]).includes(value);
}
