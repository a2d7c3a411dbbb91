import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckContext, CheckGroupRun } from '../checks/types.js';
import { EMPTY_TREE, git } from '../git.js';
import { guardDir } from '../isolate/backup.js';
import { Progress } from '../progress.js';
import { colourEnabled, type CheckResult } from '../report.js';
import { runLintStaged } from './api.js';
import { findLintStagedConfigs } from './configs.js';
import { failedTasksResult } from './failure.js';
import { matchedPaths } from './match.js';

/*
 * The lint-staged check for `check --files`: the repository's own tasks on the named files as
 * they are in the working tree, the way `prek run --files` runs its hooks. lint-staged takes its
 * file list from `git diff`; a tree that holds exactly these paths makes
 * `--diff "<empty tree> <tree>"` name them and nothing else, whatever their state in git. A fixer
 * task rewrites the working-tree file, as it would if run by hand; nothing is staged, and the
 * line names what was rewritten.
 */

const result = (status: CheckResult['status'], summary: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id: 'lint-staged', status, summary, ...extra });

/** A tree holding `paths` (object ids only: nothing is read back from it but the names). */
async function treeOf(root: string, gitDir: string, paths: string[]): Promise<string> {
  const index = join(guardDir(gitDir), `files-index-${process.pid}`);
  await mkdir(guardDir(gitDir), { recursive: true });
  const env = { ...process.env, GIT_INDEX_FILE: index };
  try {
    const added = await git(root, ['update-index', '--add', '--info-only', '-z', '--stdin'], `${paths.join('\0')}\0`, env);
    if (added.exitCode !== 0) throw new Error(added.stderr.toString('utf8').trim());
    const tree = await git(root, ['write-tree', '--missing-ok'], undefined, env);
    if (tree.exitCode !== 0) throw new Error(tree.stderr.toString('utf8').trim());
    return tree.stdout.toString('utf8').trim();
  } finally {
    await rm(index, { force: true });
  }
}

const digest = async (root: string, path: string) =>
  readFile(join(root, path)).then(
    (bytes) => createHash('sha1').update(bytes).digest('hex'),
    () => null,
  );

const run: CheckGroupRun = async (ctx: CheckContext) => {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (ctx.target.kind !== 'worktree') return [result('inactive', 'check --files only')];
  const { root, gitDir } = ctx.paths;
  const configs = await findLintStagedConfigs(root);
  if (!configs.length) return [result('inactive', 'no lint-staged configuration', { durationMs: elapsed() })];
  const matched = matchedPaths(
    configs,
    ctx.changes.filter((c) => c.status !== 'D').map((c) => c.path),
  );
  if (!matched.length) return [result('inactive', 'no file matches a lint-staged task', { durationMs: elapsed() })];

  const where = [...new Set(configs.map((c) => c.dir || '.'))].join(', ');
  const counted = `${matched.length} file${matched.length === 1 ? '' : 's'} (${where})`;
  const tree = await treeOf(root, gitDir, matched);
  const before = await Promise.all(matched.map((p) => digest(root, p)));
  const progress = new Progress(process.stderr, counted);
  progress.start('lint-staged');
  let outcome;
  try {
    outcome = await runLintStaged({ root, gitDir, configs, colour: colourEnabled(process.stderr), diff: `${EMPTY_TREE} ${tree}` });
  } finally {
    progress.stop('lint-staged');
  }
  const after = await Promise.all(matched.map((p) => digest(root, p)));
  const rewritten = matched.filter((_, i) => before[i] !== after[i]);
  const note = rewritten.length ? `; rewritten by a task, not staged: ${rewritten.join(', ')}` : '';
  if (!outcome.ok) return [failedTasksResult(outcome, `${counted}${note}`, 'fix what the task reports above, then check again', elapsed())];
  return [result('pass', `${counted}${note}`, { durationMs: elapsed() })];
};

export default run;
