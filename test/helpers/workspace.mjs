// A generated Loom-shaped workspace (path dependencies only) in a real git repository.
import { join } from 'node:path';
import { Repo, ROOT } from './repo.mjs';

const scaffold = await import(join(ROOT, 'dist/scaffold.js'));
export { scaffold };

export async function embeddedMigrations() {
  return scaffold.readMigrations(join(ROOT, 'migrations'));
}

/**
 * A repo holding a workspace of `crates` crates with the embedded migrations, committed (no hooks);
 * hooks installed when `install` is true. CARGO_TARGET_DIR can be shared between tests through
 * `targetDir` to keep cargo warm.
 */
export async function workspaceRepo({ crates = 4, install = true, migrations, devFast = true } = {}) {
  const repo = Repo.init();
  const spec = scaffold.loomWorkspace(crates, migrations ?? (await embeddedMigrations()));
  spec.devFast = devFast;
  repo.writeAll(scaffold.workspaceFiles(spec));
  repo.commitNoVerify('initial workspace');
  if (install) repo.install();
  return { repo, spec };
}
