import type { CheckId } from '../checkIds.js';
import { applyFixes, blockedFix } from '../checks/fixes.js';
import type { CheckContext, CheckGroupRun } from '../checks/types.js';
import { gitText } from '../git.js';
import { inStagedTree } from '../isolate/shared.js';
import { handedOver, interrupted, onInterrupt } from '../isolate/signals.js';
import { Progress } from '../progress.js';
import { colourEnabled, type CheckResult } from '../report.js';
import { runLintStaged } from './api.js';
import { findLintStagedConfigs } from './configs.js';
import { failedTasksResult } from './failure.js';
import { matchedPaths } from './match.js';

/*
 * The lint-staged check at pre-commit: the repository's own lint-staged tasks on exactly the
 * staged files, in loom-guard's isolated tree. What a fixer task rewrote is staged (checks/fixes.ts
 * decides how, never overwriting an unstaged edit); anything a task changes outside the staged
 * files is put back.
 */

const ID: CheckId = 'lint-staged';
const result = (status: CheckResult['status'], summary: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id: ID, status, summary, ...extra });

const run: CheckGroupRun = async (ctx: CheckContext) => {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  if (ctx.target.kind !== 'index') return [result('inactive', 'pre-commit only')];
  const { root, gitDir } = ctx.paths;
  // Both versions of each config: the staged one decides inside the isolated tree.
  const configs = await findLintStagedConfigs(root, { readIndex: true });
  if (!configs.length) return [result('inactive', 'no lint-staged configuration', { durationMs: elapsed() })];
  const staged = ctx.changes.filter((c) => c.status !== 'D').map((c) => c.path);
  const matched = matchedPaths(configs, staged);
  if (!matched.length) return [result('inactive', 'no staged file matches a lint-staged task', { durationMs: elapsed() })];

  const where = [...new Set(configs.map((c) => c.dir || '.'))].join(', ');
  const counted = `${matched.length} file${matched.length === 1 ? '' : 's'} (${where})`;
  return inStagedTree(ctx.stagedTree, ctx.paths, ctx.reporter, async (edits) => {
    // Inside the isolated tree the configs read are the staged ones.
    const progress = new Progress(process.stderr, counted);
    progress.start('lint-staged');
    // Ctrl-C or SIGTERM while the tasks run: once they are stopped (signals.ts), what they rewrote
    // in the files they were given is their fix, journaled before the restore (which then puts the
    // files back as they were) so it is never mistaken for an edit of yours.
    const unregister = onInterrupt(async () => {
      await edits.adopt((await edits.changed(staged)).modified);
    });
    // A staged file saved over while the tree was hidden is the user's, not a task's fix.
    const savedBefore = await edits.beforeFixer(staged);
    let outcome;
    try {
      outcome = await runLintStaged({ root, gitDir, configs: await findLintStagedConfigs(root), colour: colourEnabled(process.stderr) });
    } finally {
      progress.stop('lint-staged');
      if (interrupted()) await handedOver();
      unregister();
    }
    const others = (await gitText(root, ['diff-files', '--name-only', '-z'])).split('\0').filter(Boolean);
    const changed = await edits.changed([...staged, ...others]);
    const stagedSet = new Set(staged);
    const outside = changed.modified.filter((p) => !stagedSet.has(p));
    // What a task rewrote in a file it was given is its fix: journaled before anything else.
    const fixed = await edits.adopt(changed.modified.filter((p) => stagedSet.has(p)));
    // A task may only change what it was given. A file it deleted comes back; a file it changed
    // stays as it is: a save in your editor at that moment looks the same, and the hook never
    // writes over bytes it did not write (the staged version goes to recovered-<time>/).
    await edits.putBack(changed.deleted, 'deleted while lint-staged ran');
    await edits.putBack(outside, 'changed while lint-staged ran, by a task it was not given to or a save of yours');
    if (!outcome.ok) {
      await edits.putBack(fixed, 'changed while lint-staged ran (a save of yours?)');
      return [failedTasksResult(outcome, counted, 'fix what the task reports above, git add the files, commit again (skip once: LOOM_GUARD_SKIP=lint-staged)', elapsed())];
    }
    const fixes = await applyFixes(edits, fixed);
    if (fixes.blocked.length) {
      return [result('fail', `${counted}: a fix cannot be staged`, { details: fixes.blocked.join('\n'), fix: blockedFix(fixes.blocked, 'a lint-staged task'), durationMs: elapsed() })];
    }
    await fixes.commit();
    const note = fixes.staged.length ? `; fixed and staged ${fixes.staged.join(', ')}` : '';
    if (changed.deleted.some((p) => !stagedSet.has(p))) ctx.reporter.warn(`lint-staged: a task deleted files it was not given; put back: ${changed.deleted.filter((p) => !stagedSet.has(p)).join(', ')}`);
    if (outside.length) ctx.reporter.warn(`lint-staged: files a task was not given changed while it ran (a task, or a save of yours); kept as they are, not staged: ${outside.join(', ')}`);
    if (savedBefore.length) ctx.reporter.warn(`lint-staged: staged files changed before the tasks ran (a save of yours?); kept as they are, not staged: ${savedBefore.join(', ')}`);
    return [result('pass', `${counted}${note}`, { durationMs: elapsed() })];
  });
};

export default run;
