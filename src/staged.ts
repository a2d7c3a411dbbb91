import { join } from 'node:path';
import { STAGED_CHECKS } from './checks/registry.js';
import { loadConfig } from './config.js';
import { pathExists } from './fsx.js';
import { BlobReader, getStagedChanges, headCommit, INDEX, commitSource, repoPaths } from './git.js';
import { Reporter } from './report.js';
import { announceSkips, runCheckGroups } from './runChecks.js';

/** The pre-commit job: every check on exactly the staged content. Returns the exit code. */
export async function runStaged(cwd: string, reporter = new Reporter()): Promise<number> {
  const started = performance.now();
  const skip = announceSkips(reporter);
  if (skip.all) return 0;
  const paths = await repoPaths(cwd);
  // A run killed mid-check (SIGKILL, power loss) left files hidden: put them back before anything else.
  if (await pathExists(join(paths.gitDir, 'loom-guard', 'backup'))) {
    const { recoverLeftover } = await import('./isolate/index.js');
    await recoverLeftover(paths, reporter);
  }
  const { config } = await loadConfig(paths.root);
  const head = await headCommit(paths.root);
  const changes = await getStagedChanges(paths.root);
  const reader = new BlobReader(paths.root);
  try {
    await runCheckGroups(
      { paths, config, reader, target: INDEX, base: head ? commitSource(head) : null, changes, reporter },
      STAGED_CHECKS,
      skip,
    );
  } finally {
    reader.close();
  }
  if (reporter.results.length) reporter.summary(performance.now() - started, 'pre-commit');
  // The config or workspace manifest changed since install: bring the shim's no-op patterns up to date.
  const { refreshStaleShim } = await import('./install.js');
  const { isConfigName } = await import('./lintStaged/configs.js');
  const manifestsChanged = changes.some(
    (c) => (c.status !== 'M' && [c.path, c.oldPath].some((p) => p?.endsWith('Cargo.toml'))) || [c.path, c.oldPath].some((p) => p !== undefined && isConfigName(p)),
  );
  await refreshStaleShim(paths.root, paths.hooksDir, manifestsChanged).catch(() => false);
  return reporter.failed() ? 1 : 0;
}
