import { join } from 'node:path';
import { STAGED_CHECKS } from './checks/registry.js';
import { loadConfig } from './config.js';
import { pathExists } from './fsx.js';
import { BlobReader, getStagedChanges, headCommit, INDEX, commitSource, repoPaths, type RepoPaths } from './git.js';
import { Reporter } from './report.js';
import { announceSkips, runCheckGroups } from './runChecks.js';
import { withOnly } from './skip.js';
import type { CheckId } from './checkIds.js';

/** A run killed mid-check (SIGKILL, power loss) left files hidden: put them back before anything else. */
export async function recoverFirst(paths: RepoPaths, reporter: Reporter): Promise<void> {
  if (await pathExists(join(paths.gitDir, 'loom-guard', 'backup'))) {
    const { recoverLeftover } = await import('./isolate/index.js');
    await recoverLeftover(paths, reporter);
  }
}

export interface StagedOptions {
  /** Only these checks (`check clippy`); the others neither run nor report. */
  only?: ReadonlySet<CheckId>;
  /** Only the staged changes to the paths it accepts (`check --staged --files …`). */
  paths?: (path: string) => boolean;
  /** The summary's name for the run. */
  what?: string;
}

/** The pre-commit job: every check on exactly the staged content. Returns the exit code. */
export async function runStaged(cwd: string, reporter = new Reporter(), options: StagedOptions = {}): Promise<number> {
  const started = performance.now();
  const skip = withOnly(announceSkips(reporter), options.only);
  if (skip.all) return 0;
  const paths = await repoPaths(cwd);
  await recoverFirst(paths, reporter);
  const { config } = await loadConfig(paths.root);
  const head = await headCommit(paths.root);
  const staged = await getStagedChanges(paths.root);
  const picked = options.paths;
  const changes = picked ? staged.filter((c) => picked(c.path) || (c.oldPath !== undefined && picked(c.oldPath))) : staged;
  const reader = new BlobReader(paths.root);
  // One working tree showing exactly the index for every check that needs one (opened on first use).
  const { SharedStagedTree } = await import('./isolate/shared.js');
  const stagedTree = new SharedStagedTree(paths, reporter);
  try {
    await runCheckGroups(
      { paths, config, reader, target: INDEX, base: head ? commitSource(head) : null, changes, reporter, stagedTree },
      STAGED_CHECKS,
      skip,
    );
  } finally {
    reader.close();
  }
  if (reporter.results.length) reporter.summary(performance.now() - started, options.what ?? 'pre-commit');
  // The config or workspace manifest changed since install: bring the shim's no-op patterns up to date.
  const { refreshStaleShim } = await import('./install.js');
  const { isConfigName } = await import('./lintStaged/configs.js');
  const changesRelevance = (p: string | undefined) => p !== undefined && (isConfigName(p) || /(^|\/)(Cargo\.toml|\.loom-guard\.json)$/.test(p));
  const manifestsChanged = changes.some((c) => changesRelevance(c.path) || changesRelevance(c.oldPath));
  // A build or clippy that ran left dep-info that may name new files read outside the crates.
  const cargoRan = reporter.results.some((r) => (r.id === 'build' || r.id === 'clippy') && (r.status === 'pass' || r.status === 'fail'));
  await refreshStaleShim(paths, { manifestsChanged, cargoRan }).catch(() => false);
  return reporter.failed() ? 1 : 0;
}
