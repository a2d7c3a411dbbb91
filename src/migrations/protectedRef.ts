import type { Config } from '../config.js';
import { resolveCommit } from '../git.js';

/** The remote-tracking trunks tried, in order, when the config names none. */
export const DEFAULT_PROTECTED_REFS = ['origin/trunk', 'origin/main', 'origin/master'];

export type ProtectedRef = { ref: string; commit: string } | { ref: null; note: string };

/**
 * The ref new migrations must be numbered above and whose migrations must not change. A configured
 * ref wins; otherwise the first remote-tracking trunk that exists. None: the rules that need it are
 * skipped and the note says so in one line.
 */
export async function resolveProtectedRef(root: string, config: Pick<Config, 'protectedRef'>): Promise<ProtectedRef> {
  if (config.protectedRef) {
    const commit = await resolveCommit(root, config.protectedRef);
    if (commit) return { ref: config.protectedRef, commit };
    return {
      ref: null,
      note: `protected ref ${config.protectedRef} (config protectedRef) does not exist (git fetch, or fix protectedRef)`,
    };
  }
  for (const ref of DEFAULT_PROTECTED_REFS) {
    const commit = await resolveCommit(root, `refs/remotes/${ref}`);
    if (commit) return { ref, commit };
  }
  return {
    ref: null,
    note: `no protected ref: ${DEFAULT_PROTECTED_REFS.join(', ')} not found (git fetch, or set protectedRef)`,
  };
}
