/** The check ids, in the order they run and are reported. */
export const CHECK_IDS = ['nix-sync', 'migrations', 'fmt', 'clippy', 'build', 'test'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export function isCheckId(value: string): value is CheckId {
  return (CHECK_IDS as readonly string[]).includes(value);
}
