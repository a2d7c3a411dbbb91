import { lstat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { CheckId } from './checkIds.js';
import { filesGroups } from './checks/definitions.js';
import { loadConfig } from './config.js';
import { UsageError } from './errors.js';
import { BlobReader, commitSource, gitText, headCommit, listFiles, repoPaths, WORKTREE, type Change } from './git.js';
import { acquireRepoLock } from './isolate/index.js';
import { Reporter } from './report.js';
import { announceSkips, runCheckGroups } from './runChecks.js';
import { withOnly } from './skip.js';
import { recoverFirst } from './staged.js';

/*
 * `check --files PATH…`: the checks on the named files as they are in the working tree, the way
 * `prek run --files` or `pre-commit run --files` work: each check's `files` run (its definition),
 * with the files as the change against HEAD. Nothing is hidden (the working tree is what is
 * judged); the repository lock keeps a commit from hiding files under it meanwhile.
 */

export interface NamedPaths {
  /** Every file the arguments name, repository-relative (folders expanded to their files). */
  files: string[];
  /** Whether a repository path is one of them or lies in a named folder. */
  accepts: (path: string) => boolean;
}

const posixPath = (path: string) => path.split(sep).join('/');

/**
 * The repository paths of `args` (relative to `cwd`): a file as is, a folder as its tracked and
 * untracked, not ignored files, a file deleted in the working tree as its index entry. A path
 * outside the repository, or one that names nothing, is a usage error.
 */
export async function namedPaths(root: string, cwd: string, args: string[]): Promise<NamedPaths> {
  const rels: string[] = [];
  for (const arg of args) {
    const rel = posixPath(relative(root, resolve(cwd, arg)));
    if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) throw new UsageError(`check --files: ${arg} is outside the repository ${root}`);
    rels.push(rel);
  }
  const listed = rels.length
    ? (await gitText(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...rels.map((r) => `:(literal)${r || '.'}`)])).split('\0').filter(Boolean)
    : [];
  const files = new Set(listed);
  const accepts = (path: string) => rels.some((r) => r === '' || path === r || path.startsWith(`${r}/`));
  for (const [i, rel] of rels.entries()) {
    const kind = await lstat(resolve(root, rel)).then((s) => (s.isDirectory() ? 'dir' : 'file'), () => null);
    // A file git ignores still counts when it is named on its own.
    if (kind === 'file') files.add(rel);
    else if (!listed.some((p) => rel === '' || p === rel || p.startsWith(`${rel}/`))) {
      throw new UsageError(`check --files: ${args[i]}: ${kind === 'dir' ? 'no file in it that git sees (all ignored?)' : 'no such file or folder'}`);
    }
  }
  return { files: [...files].sort(), accepts };
}

export interface FilesOptions {
  only?: ReadonlySet<CheckId>;
  files: string[];
}

/** The checks' `files` runs on `files` (repository-relative) in the working tree. Returns the exit code. */
export async function runFiles(cwd: string, reporter: Reporter, options: FilesOptions): Promise<number> {
  const started = performance.now();
  const skip = withOnly(announceSkips(reporter), options.only);
  if (skip.all) return 0;
  const paths = await repoPaths(cwd);
  await recoverFirst(paths, reporter);
  const { config } = await loadConfig(paths.root);
  const head = await headCommit(paths.root);
  const inHead = new Set(head ? await listFiles(paths.root, head) : []);
  const changes: Change[] = [];
  for (const path of options.files) {
    const onDisk = await lstat(resolve(paths.root, path)).then(() => true, () => false);
    changes.push({ status: !onDisk ? 'D' : inHead.has(path) ? 'M' : 'A', path });
  }
  await using _lock = await acquireRepoLock(paths, { purpose: 'check --files', reporter });
  const reader = new BlobReader(paths.root);
  try {
    await runCheckGroups({ paths, config, reader, target: WORKTREE, base: head ? commitSource(head) : null, changes, reporter }, filesGroups(), skip);
  } finally {
    reader.close();
  }
  if (reporter.results.length) reporter.summary(performance.now() - started, 'check --files');
  return reporter.failed() ? 1 : 0;
}
