import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TipContext, TipRun } from '../checks/definition.js';
import { pathExists } from '../fsx.js';
import { EMPTY_TREE, git, gitText, headCommit, repoPaths } from '../git.js';
import { colourEnabled, type CheckResult } from '../report.js';
import { runLintStaged } from './api.js';
import { findLintStagedConfigs } from './configs.js';
import { failedTasksResult } from './failure.js';

/*
 * lint-staged on a pushed tip (config `lintStagedOnPush`): the tasks on the files the pushed
 * commits change, on exactly the tip's content. In place when the working tree is the tip and
 * clean; otherwise in a temporary detached worktree outside the repository, with each config
 * folder's node_modules linked in from the working tree (the tools are installed, not committed).
 * A check here, not a fixer: a task that rewrites a file fails, naming it.
 */

const result = (status: CheckResult['status'], summary: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id: 'lint-staged', status, summary, ...extra });

async function clean(root: string, tip: string): Promise<boolean> {
  if ((await headCommit(root)) !== tip) return false;
  const status = await git(root, ['status', '--porcelain', '-z', '--untracked-files=normal']);
  return status.exitCode === 0 && status.stdout.length === 0;
}

const run: TipRun = async (ctx: TipContext) => {
  const started = performance.now();
  const { root } = ctx.paths;
  // Nothing new on this ref (its commits are already on the remote): nothing changed to lint.
  if (!ctx.commits.length) return result('inactive', 'no new commits');
  const base = ctx.commits[0]?.parent ?? EMPTY_TREE;
  const inPlace = await clean(root, ctx.tip);
  let where = root;
  let temp: string | null = null;
  try {
    if (!inPlace) {
      temp = await mkdtemp(join(tmpdir(), 'loom-guard-lint-staged-'));
      where = join(temp, 'tree');
      await gitText(root, ['worktree', 'add', '--detach', '--quiet', where, ctx.tip]);
    }
    const configs = await findLintStagedConfigs(where);
    if (!configs.length) return result('inactive', 'no lint-staged configuration', { durationMs: performance.now() - started });
    if (temp) {
      for (const dir of new Set(configs.map((c) => c.dir))) {
        const modules = join(root, dir, 'node_modules');
        if ((await pathExists(modules)) && !(await pathExists(join(where, dir, 'node_modules')))) await symlink(modules, join(where, dir, 'node_modules'));
      }
    }
    const paths = await repoPaths(where);
    const outcome = await runLintStaged({ root: where, gitDir: paths.gitDir, configs, colour: colourEnabled(process.stderr), diff: `${base} ${ctx.tip}` });
    const changed = (await gitText(where, ['diff', '--name-only', '-z', ctx.tip, '--'])).split('\0').filter(Boolean);
    if (inPlace && changed.length) await gitText(root, ['checkout', '--', ...changed.map((p) => `:(literal)${p}`)]);
    const durationMs = performance.now() - started;
    const at = inPlace ? 'in place' : 'in a temporary worktree';
    if (!outcome.ok) return failedTasksResult(outcome, `pushed tip (${at})`, 'fix what the task reports above, commit, push again', durationMs);
    if (changed.length) {
      return result('fail', `a fixer changes ${changed.length} file(s) of the pushed tip`, { details: changed.join('\n'), fix: 'commit the fixed files (git commit runs the fixers), push again', durationMs });
    }
    return result('pass', `pushed changes (${at})`, { durationMs });
  } finally {
    if (temp) {
      await git(root, ['worktree', 'remove', '--force', where]);
      await rm(temp, { recursive: true, force: true });
      await git(root, ['worktree', 'prune']);
    }
  }
};

export default run;
