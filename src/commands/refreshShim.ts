import type { ParsedArgs } from '../args.js';
import { GuardError } from '../errors.js';
import { repoPaths } from '../git.js';
import { PATTERN_HOOKS, refreshShims } from '../install.js';

/*
 * What post-checkout, post-merge and post-rewrite run once their shim saw a config, manifest or
 * Rust source change: bring the pre-commit shims' patterns up to date. Never fails the git command
 * that ran it: a refresh that cannot be done leaves the shim as it was, and doctor reports it stale.
 */
export async function run(_args: ParsedArgs): Promise<number> {
  try {
    const paths = await repoPaths(process.cwd());
    await refreshShims(paths.root, paths.hooksDir);
  } catch (e) {
    process.stderr.write(`loom-guard: could not refresh the pre-commit hook's patterns (${e instanceof Error ? e.message : String(e)}); loom-guard doctor says more\n`);
  }
  return 0;
}

/**
 * `loom-guard refresh-shim`, by hand (or after a build in a script): the same refresh, after
 * learning the workspace members with cargo metadata when they are not cached (no build runs).
 */
export async function runNow(_args: ParsedArgs): Promise<number> {
  const paths = await repoPaths(process.cwd());
  const { indexManifests, workspaceMembers, MetadataError } = await import('../cargo/crates.js');
  const manifests = await indexManifests(paths.root);
  if (manifests.dirs.some((d) => d !== '')) {
    await workspaceMembers(paths.root, paths.gitDir, manifests.key).catch((e: unknown) => {
      if (e instanceof MetadataError) throw new GuardError(`cargo metadata failed, so the shim cannot know the crates: fix the Cargo.toml it names, then run loom-guard refresh-shim again\n${e.output}`);
      throw e;
    });
  }
  const changed = await refreshShims(paths.root, paths.hooksDir);
  const { repoShimPatterns } = await import('../install.js');
  const patterns = await repoShimPatterns(paths.root);
  const state = !patterns
    ? 'the no-op path is off (a check whose paths sh cannot express)'
    : patterns.readsComplete
      ? 'dep-info complete: a file outside every crate folder that no unit read skips Node'
      : 'dep-info not complete yet: every file outside the crate folders hands over to Node until a build leaves records';
  process.stdout.write(`loom-guard: ${PATTERN_HOOKS.join(' and ')} patterns ${changed ? 'refreshed' : 'already current'}; ${state}\n`);
  return 0;
}
