import { createHash } from 'node:crypto';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GuardError } from '../errors.js';
import { pathExists } from '../fsx.js';
import { git, type RepoPaths } from '../git.js';
import { runningChildren } from '../proc.js';
import type { Reporter } from '../report.js';
import {
  APPLIED,
  backupDir,
  hashPath,
  preserve,
  pruneEmptyDirs,
  readApplied,
  readManifest,
  ownerAlive,
  restoreFromBackup,
  writeDurable,
  type Applied,
  type BackupEntry,
  type Manifest,
  type RestoreOutcome,
  MANIFEST,
} from './backup.js';
import { planHide, planSize } from './plan.js';
import { StagedTreeEdits } from './edits.js';

/*
 * Runs a job on a working tree that holds exactly the index: unstaged edits, worktree deletions
 * and untracked (non-ignored) files are hidden for the duration and put back afterwards.
 *
 * Why not lint-staged's GitWorkflow: lint-staged 16 does not export it (its package exports only
 * `.` and `./bin`), it hides only the unstaged part of partially staged files (an untracked
 * `helper.rs` the staged `mod helper;` needs stays visible and makes a broken commit pass), and it
 * parks its backup on the user's stash list. This keeps the same idea (a backup first, then hide,
 * then restore) but hides all three kinds, touches only the files that differ, and keeps its
 * backup in <gitDir>/loom-guard/backup where a later run can finish an interrupted restore.
 */

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

export async function blobHash(root: string, blob: string): Promise<string | null> {
  const result = await git(root, ['cat-file', 'blob', blob]);
  return result.exitCode === 0 ? createHash('sha256').update(result.stdout).digest('hex') : null;
}

function reportOutcome(outcome: RestoreOutcome, reporter: Reporter): void {
  if (!outcome.unsafe.length) return;
  reporter.error(
    `${outcome.unsafe.length} file(s) changed while loom-guard had them hidden; nothing was overwritten. Your earlier versions are in ${outcome.setAside} (RECOVER.txt there lists these lines):`,
  );
  for (const u of outcome.unsafe) reporter.error(`  ${u.advice}`);
}

/**
 * Finishes the restore of a run that was killed (SIGKILL, power loss) before it could put the
 * working tree back. Safe entries are restored; anything edited since is set aside with advice.
 */
export async function recoverLeftover(paths: RepoPaths, reporter: Reporter): Promise<RestoreOutcome | null> {
  const dir = backupDir(paths.gitDir);
  if (!(await pathExists(dir))) return null;
  const manifest = await readManifest(dir);
  if (!manifest) {
    // Killed while taking the backup: the manifest comes before any change to the tree, so the
    // tree was never touched and the partial backup is just copies.
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  if (ownerAlive(manifest)) {
    throw new GuardError(
      `another loom-guard run (pid ${manifest.pid}) has the staged tree checked out right now: wait for it to finish (if it is stuck: kill ${manifest.pid}, then run loom-guard again)`,
    );
  }
  reporter.warn(
    `an interrupted run (pid ${manifest.pid}, ${manifest.startedAt}) left ${manifest.entries.length} file(s) hidden; putting them back`,
  );
  const outcome = await restoreFromBackup(manifest.root, paths.gitDir, manifest, await readApplied(dir), (b) => blobHash(manifest.root, b));
  if (outcome.unsafe.length) reportOutcome(outcome, reporter);
  else reporter.note(`restored ${outcome.restored} file(s) from ${dir}`);
  return outcome;
}

async function missingAncestors(root: string, path: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    if (await pathExists(join(root, dir))) break;
    missing.unshift(dir);
  }
  return missing;
}

async function stopChildren(): Promise<void> {
  const children = [...runningChildren()].filter((c) => c.exitCode === null && c.signalCode === null);
  if (!children.length) return;
  const closed = Promise.all(children.map((c) => new Promise<void>((resolve) => c.once('close', () => resolve()))));
  for (const child of children) child.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 3000);
  await closed;
  clearTimeout(timer);
}

/**
 * Runs `job` with the working tree showing exactly the index, and restores it afterwards on
 * success, failure, SIGINT, SIGTERM and SIGHUP (the handler stops cargo, restores, and exits
 * 130/143/129). `onHidden` hears how many files were hidden.
 */
export async function withStagedTree<T>(
  paths: RepoPaths,
  reporter: Reporter,
  job: (edits: StagedTreeEdits) => Promise<T>,
  onHidden?: (count: number) => void,
): Promise<T> {
  const { root, gitDir } = paths;
  await recoverLeftover(paths, reporter);
  const plan = await planHide(root);
  onHidden?.(planSize(plan));

  const dir = backupDir(gitDir);
  let manifest: Manifest | null = null;
  let applied: Applied | null = null;
  let applying: Promise<void> | null = null;
  let restoring: Promise<void> | null = null;

  const restore = (): Promise<void> => {
    restoring ??= (async () => {
      if (!manifest) {
        await rm(dir, { recursive: true, force: true });
        return;
      }
      const outcome = await restoreFromBackup(root, gitDir, manifest, applied, (b) => blobHash(root, b));
      reportOutcome(outcome, reporter);
    })();
    return restoring;
  };

  // A terminal closed under us must not turn a report line into a crash halfway through a restore.
  const swallow = () => {};
  process.stderr.on('error', swallow);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    void (async () => {
      await applying?.catch(() => {});
      await stopChildren();
      try {
        await restore();
      } catch (error) {
        reporter.error(`could not restore the working tree: ${(error as Error).message}; run loom-guard check --staged to finish the restore from ${dir}`);
      }
      process.exit(SIGNAL_CODES[signal] ?? 1);
    })();
  };
  const signals = Object.keys(SIGNAL_CODES) as NodeJS.Signals[];
  for (const s of signals) process.on(s, onSignal);

  try {
    if (planSize(plan)) {
      applying = (async () => {
        await rm(dir, { recursive: true, force: true });
        await mkdir(join(dir, 'files'), { recursive: true });
        const entries: BackupEntry[] = [];
        let n = 0;
        for (const { path, blob } of plan.modified) {
          const name = String(n++);
          await preserve(join(root, path), join(dir, 'files', name));
          entries.push({ path, kind: 'modified', backup: name, blob });
        }
        for (const { path, blob } of plan.deleted) {
          entries.push({ path, kind: 'deleted', backup: null, blob, createdDirs: await missingAncestors(root, path) });
        }
        for (const path of plan.untracked) {
          const name = String(n++);
          const ok = await preserve(join(root, path), join(dir, 'files', name)).then(
            () => true,
            (error: NodeJS.ErrnoException) => {
              if (error.code === 'ENOENT') return false; // gone since git listed it: nothing to hide
              throw error;
            },
          );
          if (ok) entries.push({ path, kind: 'untracked', backup: name, blob: null });
        }
        const m: Manifest = { version: 1, pid: process.pid, startedAt: new Date().toISOString(), root, entries };
        // Everything above is durable before this line; the tree is touched only after it.
        await writeDurable(join(dir, MANIFEST), JSON.stringify(m, null, 1));
        manifest = m;

        for (const entry of entries.filter((e) => e.kind === 'untracked')) {
          await unlink(join(root, entry.path)).catch(() => {});
          await pruneEmptyDirs(root, dirname(join(root, entry.path)));
        }
        const tracked = entries.filter((e) => e.kind !== 'untracked');
        for (const entry of tracked) {
          // git checkout-index replaces by unlink + create too; doing it first keeps the hard-linked
          // backup safe even if that ever changes.
          if (entry.kind === 'modified') await rm(join(root, entry.path), { force: true, recursive: true });
        }
        if (tracked.length) {
          // Without -u, checkout-index writes the files and leaves the index (and its lock) alone;
          // it honours GIT_INDEX_FILE, so `git commit -a` and `git commit <paths>` work too.
          const result = await git(root, ['checkout-index', '-f', '-z', '--stdin'], tracked.map((e) => `${e.path}\0`).join(''));
          if (result.exitCode !== 0) throw new GuardError(`git checkout-index failed: ${result.stderr.toString('utf8').trim()}`);
        }
        const hashes: Record<string, string> = {};
        for (const entry of tracked) {
          const h = await hashPath(join(root, entry.path));
          if (h) hashes[entry.path] = h;
        }
        applied = { hashes };
        await writeDurable(join(dir, APPLIED), JSON.stringify(applied));
      })();
      await applying;
    }
    // The job may stage its own rewrites (fmt fix, lint-staged fixers): edits.ts keeps `applied` true.
    return await job(new StagedTreeEdits(root, gitDir, () => ({ manifest, applied })));
  } finally {
    if (!signalled) {
      // Handlers stay until the restore is done: a Ctrl-C now waits for it instead of cutting it.
      await restore();
      for (const s of signals) process.off(s, onSignal);
      process.stderr.off('error', swallow);
    }
    if (signalled) {
      // the signal handler owns the restore and the exit
      await new Promise<never>(() => {});
    }
  }
}
