import type { ParsedArgs } from '../args.js';
import { repoPaths } from '../git.js';
import { refreshShims } from '../install.js';

/*
 * What post-checkout, post-merge and post-rewrite run once their shim saw a config or manifest
 * change: bring the pre-commit shims' patterns up to date. Never fails the git command that ran
 * it: a refresh that cannot be done leaves the shim as it was, and doctor reports it stale.
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
