import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { GuardError } from '../errors.js';
import { reinstallCommand } from '../invocation.js';
import { useOwnGitEnv } from '../git.js';
import { guardDir } from '../isolate/backup.js';
import { interrupted, onInterrupt, scratchFile } from '../isolate/signals.js';
import type { LintStagedConfig } from './configs.js';
import { isRendererLine, parseFailedLine, taskOutput, type FailedTask, type LogEntry } from './failure.js';

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
 *
 * lint-staged names a failing task and its cause (ENOENT for a program that does not exist) only
 * in its renderer's lines, which `quiet` silences and the verbose renderer (chosen with `debug`,
 * whose own log goes to our no-op `debug`) writes to the process's stdout and stderr: those
 * lines are taken off the two streams for the duration of the call (withRendererLines).
 */

export interface LintStagedRun {
  ok: boolean;
  /** The tasks' output (lint-staged's own progress is silenced). */
  output: string;
  /** The tasks that failed, with lint-staged's cause. */
  failed: FailedTask[];
  /** The folder the tasks ran in, with a trailing slash ('' for the root or several). */
  where: string;
}

/**
 * Runs `job` with lint-staged's renderer lines taken off stdout and stderr (a write that is
 * anything else, our own progress line, goes through); returns the `[FAILED]` ones parsed.
 */
async function withRendererLines<T>(job: () => Promise<T>): Promise<{ value: T; failed: FailedTask[] }> {
  const failed: FailedTask[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = originals[i] as typeof stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const lines = String(chunk).split('\n').filter((l) => l.trim());
      if (!lines.length || !lines.every(isRendererLine)) return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      for (const line of lines) {
        const task = parseFailedLine(line);
        if (task) failed.push(task);
      }
      const callback = rest[rest.length - 1];
      if (typeof callback === 'function') (callback as () => void)();
      return true;
    }) as typeof stream.write;
  });
  try {
    return { value: await job(), failed };
  } finally {
    streams.forEach((stream, i) => {
      stream.write = originals[i] as typeof stream.write;
    });
  }
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
      `lint-staged could not be loaded (${(error as Error).message.split('\n')[0]}): reinstall loom-guard's dependencies (${reinstallCommand()}), or skip once with LOOM_GUARD_SKIP=lint-staged`,
    );
  }
  const entries: LogEntry[] = [];
  const collect = (level: LogEntry['level']) => (...args: unknown[]) => void entries.push({ level, text: format(...args) });
  const logger = { log: collect('log'), warn: collect('warn'), error: collect('error'), debug: () => {} };

  const scratch = join(guardDir(opts.gitDir), `lint-staged-index-${process.pid}`);
  const index = process.env.GIT_INDEX_FILE ? resolve(opts.root, process.env.GIT_INDEX_FILE) : join(opts.gitDir, 'index');
  await mkdir(guardDir(opts.gitDir), { recursive: true });
  const saved = ENV_KEYS.map((k) => [k, process.env[k]] as const);
  const cwd = process.cwd();
  const ownEnv = () => {
    const env = { ...process.env };
    for (const [k, v] of saved) {
      if (v === undefined) delete env[k];
      else env[k] = v;
    }
    return env;
  };
  const putBack = async () => {
    process.chdir(cwd);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await rm(scratch, { force: true });
  };
  // A signal: lint-staged is stopped but its code still runs in this process and may yet call git
  // (a `git add` of the task's files): process.env keeps the scratch index for it, while the
  // restore's own git calls get the real one. The scratch goes when the process exits.
  const unregister = onInterrupt(async () => {
    process.chdir(cwd);
    useOwnGitEnv(ownEnv());
  });
  const forget = scratchFile(scratch);
  await copyFile(index, scratch).catch(() => {});

  // One config: its folder is the cwd (a sub-package's node_modules/.bin resolve there). Several:
  // lint-staged's own monorepo mode, which runs each config's tasks in its folder from the root.
  const dirs = [...new Set(opts.configs.map((c) => c.dir))];
  const only = dirs.length === 1 ? join(opts.root, dirs[0] as string) : undefined;
  process.env.GIT_INDEX_FILE = scratch;
  process.chdir(opts.root);
  const where = dirs.length === 1 && dirs[0] ? `${dirs[0]}/` : '';
  try {
    const { value: ok, failed } = await withRendererLines(() =>
      lintStaged({ cwd: only, stash: false, hidePartiallyStaged: false, debug: true, color: opts.colour, diff: opts.diff, allowEmpty: true }, logger),
    );
    return { ok, output: taskOutput(entries).trim(), failed, where };
  } catch (error) {
    // A config that throws while loading (a syntax error in lint-staged.config.js).
    return { ok: false, output: [taskOutput(entries), (error as Error).message].join('\n').trim(), failed: [], where };
  } finally {
    if (!interrupted()) {
      await putBack();
      unregister();
      forget();
    }
  }
}
