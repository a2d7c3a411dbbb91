import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { GuardError } from '../errors.js';
import { guardDir } from '../isolate/backup.js';
import type { LintStagedConfig } from './configs.js';

/*
 * One call of lint-staged's programmatic API (lint-staged 16, `stash: false`: loom-guard's own
 * isolation has already made the tree show exactly the index). Three things lint-staged does to
 * the process are undone around the call:
 * - with stash: false it `git add`s every matched file after the tasks, even when they failed; it
 *   gets a scratch copy of the index, so the user's index changes only when loom-guard stages a
 *   fix it has checked (checks/fixes.ts);
 * - it deletes GIT_DIR, GIT_WORK_TREE and GIT_LITERAL_PATHSPECS from process.env;
 * - its task runner resolves the folder of each config from the process's cwd.
 * lint-staged is imported here only, when a configuration exists.
 */

export interface LintStagedRun {
  ok: boolean;
  /** The tasks' output (lint-staged's own progress is silenced). */
  output: string;
}

const ENV_KEYS = ['GIT_INDEX_FILE', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_LITERAL_PATHSPECS'] as const;

export async function runLintStaged(opts: {
  root: string;
  gitDir: string;
  configs: LintStagedConfig[];
  colour: boolean;
  /** `"<base> <tip>"` to lint the files changed between two commits instead of the staged ones. */
  diff?: string;
}): Promise<LintStagedRun> {
  let lintStaged: typeof import('lint-staged').default;
  try {
    lintStaged = (await import('lint-staged')).default;
  } catch (error) {
    throw new GuardError(
      `lint-staged could not be loaded (${(error as Error).message.split('\n')[0]}): reinstall loom-guard (npm install), or skip once with LOOM_GUARD_SKIP=lint-staged`,
    );
  }
  const lines: string[] = [];
  const collect = (...args: unknown[]) => void lines.push(format(...args));
  const logger = { log: collect, warn: collect, error: collect, debug: () => {} };

  const scratch = join(guardDir(opts.gitDir), `lint-staged-index-${process.pid}`);
  const index = process.env.GIT_INDEX_FILE ? resolve(opts.root, process.env.GIT_INDEX_FILE) : join(opts.gitDir, 'index');
  await mkdir(guardDir(opts.gitDir), { recursive: true });
  await copyFile(index, scratch).catch(() => {});

  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  const cwd = process.cwd();
  // One config: its folder is the cwd (a sub-package's node_modules/.bin resolve there). Several:
  // lint-staged's own monorepo mode, which runs each config's tasks in its folder from the root.
  const dirs = [...new Set(opts.configs.map((c) => c.dir))];
  const only = dirs.length === 1 ? join(opts.root, dirs[0] as string) : undefined;
  process.env.GIT_INDEX_FILE = scratch;
  process.chdir(opts.root);
  try {
    const ok = await lintStaged(
      { cwd: only, stash: false, hidePartiallyStaged: false, quiet: true, color: opts.colour, diff: opts.diff, allowEmpty: true },
      logger,
    );
    return { ok, output: lines.join('\n').trim() };
  } catch (error) {
    // A config that throws while loading (a syntax error in lint-staged.config.js).
    return { ok: false, output: [...lines, (error as Error).message].join('\n').trim() };
  } finally {
    process.chdir(cwd);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(scratch, { force: true });
  }
}
