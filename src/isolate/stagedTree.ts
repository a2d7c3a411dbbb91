import { access, constants, lstat, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { debugLine } from '../debug.js';
import { GuardError } from '../errors.js';
import { git } from '../git.js';
import type { RepoPaths } from '../git.js';
import type { Reporter } from '../report.js';
import { Recovered } from './cas.js';
import { StagedTreeEdits } from './edits.js';
import { faultPoint } from './faults.js';
import { fingerprint, freeBytes, move } from './fsops.js';
import { APPLIED, backupDir, JOURNAL, RECOVER, readApplied, readJournal, recoverText, writeDurable, type Applied, type Journal, type Moved } from './journal.js';
import { acquireRepoLock, type RepoLock } from './lock.js';
import { listUntracked, planTracked, untrackedIgnoreFiles, type MoveIntent, type TrackedPlan } from './plan.js';
import { restoreJournal, type RestoreOutcome } from './restore.js';
import { handedOver, interrupted, onInterrupt } from './signals.js';

/*
 * A working tree that shows exactly the index, for as long as the StagedTree is held:
 *
 *   await using tree = await StagedTree.open(paths, { reporter, purpose: 'pre-commit' });
 *   ... run the checks ...
 *   // disposed: the user's files are back, the lock is released
 *
 * Phases, each a function of its own: lock, plan, back up, hide, (the caller runs), restore,
 * release. Hiding moves things aside whole (a rename): unstaged versions of tracked files, whatever
 * stands where a tracked path must be written (a folder of ignored files, a nested repository, a
 * file where a folder goes), and untracked files (an untracked folder is one rename). The journal
 * listing each move is durable before the move, so a run killed at any point is finished by the
 * next one. Any failure before the checks run puts everything back and stops with one line.
 */

export interface OpenOptions {
  reporter: Reporter;
  /** Who holds the lock, for the line a second run prints while it waits. */
  purpose: string;
  lockWaitMs?: number;
}

/** What the isolation hid, by reason (for a later fixer that must know which paths had unstaged versions). */
export interface Hidden {
  /** Tracked paths whose unstaged version (content, mode or type) is set aside. */
  unstaged: string[];
  /** Things standing where a tracked path had to be written (ignored files, folders, nested repos). */
  inTheWay: string[];
  /** Untracked files and folders (and git add -N entries). */
  untracked: string[];
}

function reportOutcome(outcome: RestoreOutcome, reporter: Reporter): void {
  if (!outcome.unsafe.length) return;
  reporter.error(
    `${outcome.unsafe.length} file(s) changed while loom-guard had them hidden; nothing was overwritten. Your earlier versions are in ${outcome.setAside} (RECOVER.txt there lists these lines):`,
  );
  for (const u of outcome.unsafe) reporter.error(`  ${u.advice}`);
}

/** Finishes what a killed run left: must be called under the lock. Returns null when nothing was left. */
export async function recoverUnderLock(paths: RepoPaths, reporter: Reporter): Promise<RestoreOutcome | null> {
  const dir = backupDir(paths.gitDir);
  if (!(await lstat(dir).then(() => true, () => false))) return null;
  const read = await readJournal(dir);
  if (read.kind === 'bad') {
    throw new GuardError(`${join(dir, JOURNAL)} cannot be used (${read.reason}); nothing was changed: follow ${join(dir, RECOVER)} to put the files back by hand, then delete ${dir}`);
  }
  if (read.kind === 'none') {
    const { recoverLegacy } = await import('./legacy.js');
    const legacy = await recoverLegacy(paths, reporter);
    if (legacy) return legacy;
    // Killed before the journal: nothing was moved yet (the journal always comes first).
    const files = await readdir(join(dir, 'files')).catch(() => [] as string[]);
    if (files.length) {
      throw new GuardError(`${dir} holds files but no journal; nothing was changed: put them back by hand (see ${join(dir, RECOVER)}), then delete ${dir}`);
    }
    await rm(dir, { recursive: true, force: true });
    return null;
  }
  const { journal } = read;
  reporter.warn(`an interrupted run (pid ${journal.pid}, ${journal.startedAt}) left ${journal.moved.length} item(s) of your working tree hidden; putting them back`);
  const outcome = await restoreJournal(paths.root, paths.gitDir, dir, journal, await readApplied(dir));
  if (outcome.unsafe.length) reportOutcome(outcome, reporter);
  else reporter.note(`restored ${outcome.restored} item(s) from ${dir}`);
  return outcome;
}

// ---- the phases ----------------------------------------------------------------------------------

/** Free space for the index versions about to be written (moves need none: they are renames). */
async function checkSpace(root: string, plan: TrackedPlan): Promise<void> {
  if (!plan.written.length) return;
  const sizes = await git(root, ['cat-file', '--batch-check=%(objectsize)'], plan.written.map((w) => `${w.blob}\n`).join(''));
  const needed = sizes.stdout
    .toString('utf8')
    .split('\n')
    .reduce((sum, line) => sum + (Number(line) || 0), 0) + 4096 * (plan.written.length + 16);
  const free = process.env.LOOM_GUARD_TEST_IGNORE_SPACE === '1' ? null : await freeBytes(root);
  if (free !== null && free < needed) {
    const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    throw new GuardError(
      `not enough free space in ${root} to check the staged content: ${mib(needed)} needed for ${plan.written.length} file(s) (${plan.written[0]?.path}${plan.written.length > 1 ? ', …' : ''}), ${mib(free)} free; nothing was changed: free some space and commit again`,
    );
  }
}

/** Every folder a move or a write changes must be writable: checked before anything changes. */
async function checkWritable(root: string, moves: MoveIntent[], plan: TrackedPlan | null): Promise<void> {
  const folders = new Set<string>();
  for (const m of moves) folders.add(dirname(m.path));
  for (const w of plan?.written ?? []) {
    let dir = dirname(w.path);
    while (dir !== '.' && plan?.createdDirs.includes(dir)) dir = dirname(dir);
    folders.add(dir);
  }
  for (const folder of folders) {
    const full = folder === '.' ? root : join(root, folder);
    const ok = await access(full, constants.W_OK | constants.X_OK).then(() => true, () => false);
    if (!ok) {
      const path = moves.find((m) => dirname(m.path) === folder)?.path ?? plan?.written.find((w) => w.path.startsWith(`${folder}/`))?.path ?? folder;
      throw new GuardError(
        `loom-guard cannot hide ${path}: its folder ${folder === '.' ? root : folder} is not writable; nothing was changed: make it writable (chmod u+w ${folder}) or stage the change, then commit again`,
      );
    }
  }
  for (const m of moves) {
    // Moving a folder to another parent rewrites its "..": the folder itself must be writable.
    const stat = await lstat(join(root, m.path)).catch(() => null);
    if (stat?.isDirectory() && !(await access(join(root, m.path), constants.W_OK).then(() => true, () => false))) {
      throw new GuardError(
        `loom-guard cannot hide ${m.path}/: the folder is not writable, so it cannot be moved aside; nothing was changed: chmod u+w ${m.path} (or add it to .gitignore), then commit again`,
      );
    }
  }
}

export class StagedTree implements AsyncDisposable {
  private journal: Journal | null = null;
  private applied: Applied | null = null;
  private nextBackup = 0;
  private restoring: Promise<RestoreOutcome | null> | null = null;
  private hiding: Promise<void> | null = null;
  private created = false;
  private readonly dir: string;
  private unregister: () => void = () => {};
  private editsOnce: StagedTreeEdits | null = null;
  private keptReported = false;
  /** Where the hook's version goes when a write would have replaced a user's bytes. */
  readonly recovered: Recovered;

  private constructor(
    readonly paths: RepoPaths,
    private readonly reporter: Reporter,
    private readonly lock: RepoLock,
  ) {
    this.dir = backupDir(paths.gitDir);
    this.recovered = new Recovered(paths.gitDir);
  }

  /** Lock, finish any leftover, plan, back up and hide. On any failure the tree is as it was. */
  static async open(paths: RepoPaths, options: OpenOptions): Promise<StagedTree> {
    const lock = await acquireRepoLock(paths, { purpose: options.purpose, reporter: options.reporter, waitMs: options.lockWaitMs });
    const tree = new StagedTree(paths, options.reporter, lock);
    // From here on a signal restores whatever was hidden (and releases the lock on exit).
    tree.unregister = onInterrupt(async () => {
      await tree.hiding?.catch(() => {});
      const outcome = await tree.restore();
      if (outcome) reportOutcome(outcome, options.reporter);
      tree.reportKept();
      const back = !outcome
        ? 'nothing had been hidden yet; your working tree is as it was'
        : `${outcome.unsafe.length ? 'the rest of ' : ''}your working tree is back as it was (${outcome.restored} hidden item${outcome.restored === 1 ? '' : 's'} put back)`;
      options.reporter.note(`interrupted (${interrupted()}): ${back}; nothing was committed`);
    });
    try {
      await faultPoint('locked');
      await recoverUnderLock(paths, options.reporter);
      tree.hiding = tree.hide();
      await tree.hiding;
    } catch (error) {
      if (interrupted()) return handedOver();
      tree.unregister();
      await lock.release();
      if (error instanceof GuardError) throw error;
      throw new GuardError(`loom-guard could not hide the unstaged changes (${(error as Error).message}); nothing was changed`);
    }
    if (interrupted()) return handedOver();
    debugLine(`staged tree: opened; ${tree.journal ? `hid ${tree.hiddenCount} item(s), journal of ${tree.journal.startedAt}` : 'nothing to hide'}`);
    return tree;
  }

  /** What is hidden, by reason. */
  get hidden(): Hidden {
    const moved = this.journal?.moved ?? [];
    const of = (why: Moved['why']) => moved.filter((m) => m.why === why).map((m) => m.path);
    return { unstaged: of('unstaged'), inTheWay: of('in-the-way'), untracked: of('untracked') };
  }

  /** What a job may do in the tree besides reading it: record and stage a fixer's rewrite, put a file back, never over a user's byte. */
  get edits(): StagedTreeEdits {
    this.editsOnce ??= new StagedTreeEdits(this.paths.root, this.paths.gitDir, {
      journal: () => this.ensureJournal(),
      current: () => this.journal,
      applied: () => this.applied,
      setApplied: (applied) => {
        this.applied = applied;
      },
      saveJournal: () => this.saveJournal(),
      nextBackup: () => String(this.nextBackup++),
      recovered: this.recovered,
    });
    return this.editsOnce;
  }

  /** The journal; when nothing had to be hidden, an empty one is made now (a fixer's rewrite needs one). */
  private async ensureJournal(): Promise<Journal> {
    if (this.journal) return this.journal;
    await mkdir(join(this.dir, 'files'), { recursive: true });
    this.created = true;
    await writeFile(join(this.dir, RECOVER), recoverText(this.dir, null));
    this.journal = { version: 2, pid: process.pid, startedAt: new Date().toISOString(), moved: [], written: [], createdDirs: [], fixes: [] };
    await this.saveJournal();
    debugLine(`staged tree: journal of ${this.journal.startedAt} made for a fix`);
    return this.journal;
  }

  /** How many paths the isolation changed (hid, or wrote the staged version of). */
  get hiddenCount(): number {
    return new Set([...(this.journal?.moved ?? []).map((m) => m.path), ...(this.journal?.written ?? []).map((w) => w.path)]).size;
  }

  private async saveJournal(): Promise<void> {
    if (this.journal) await writeDurable(join(this.dir, JOURNAL), JSON.stringify(this.journal));
  }

  private assign(moves: MoveIntent[]): Moved[] {
    return moves.map((m) => ({ ...m, backup: String(this.nextBackup++) }));
  }

  /** Back up (journal first) then move aside, one item at a time; each move is a rename. */
  private async moveAside(moves: Moved[]): Promise<void> {
    for (const m of moves) {
      await move(join(this.paths.root, m.path), join(this.dir, 'files', m.backup)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return; // gone since it was listed: nothing to hide
        throw new GuardError(`loom-guard could not hide ${m.path} (${error.code ?? error.message}); nothing was changed: ${adviceFor(error)}`);
      });
      await faultPoint(`hide: moved ${m.path}`);
    }
  }

  private async hide(): Promise<void> {
    const { root } = this.paths;
    // plan (tracked part)
    const { plan, intentToAdd } = await planTracked(root);
    await faultPoint('planned');
    const trackedMoves = [...plan.moves, ...intentToAdd.map((path): MoveIntent => ({ path, why: 'untracked' }))];
    const firstUntracked = await listUntracked(root);
    if (!trackedMoves.length && !plan.written.length && !firstUntracked.length) return;
    await checkSpace(root, plan);
    await checkWritable(root, trackedMoves, plan);

    try {
      // back up: RECOVER.txt before anything that can fail later, the journal before any move
      await mkdir(join(this.dir, 'files'), { recursive: true });
      this.created = true;
      await writeFile(join(this.dir, RECOVER), recoverText(this.dir, null));
      await faultPoint('backup: RECOVER.txt');
      this.journal = { version: 2, pid: process.pid, startedAt: new Date().toISOString(), moved: this.assign(trackedMoves), written: plan.written, createdDirs: plan.createdDirs };
      await this.saveJournal();
      await faultPoint('backup: journal');

      // hide: tracked paths get their index version (so the staged .gitignore files are in force) …
      await this.moveAside(this.journal.moved);
      if (plan.written.length) {
        // checkout-index -f writes over whatever stands there: a save since the plan (a file the
        // user made again where one was deleted or moved aside) is moved aside too, journal first.
        const late: MoveIntent[] = [];
        for (const w of plan.written) {
          if (await lstat(join(root, w.path)).then(() => true, () => false)) late.push({ path: w.path, why: 'unstaged' });
        }
        if (late.length) {
          const moves = this.assign(late);
          this.journal.moved.push(...moves);
          await this.saveJournal();
          await this.moveAside(moves);
        }
        // Without -u, checkout-index writes the files and leaves the index (and its lock) alone;
        // it honours GIT_INDEX_FILE, so `git commit -a` and `git commit <paths>` work too.
        const result = await git(root, ['checkout-index', '-f', '-z', '--ignore-skip-worktree-bits', '--stdin'], plan.written.map((w) => `${w.path}\0`).join(''));
        if (result.exitCode !== 0) {
          const message = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
          throw new GuardError(`loom-guard could not write the staged version of ${plan.written[0]?.path ?? 'a file'} (git checkout-index: ${message}); nothing was changed: free some space or fix the folder named, then commit again`);
        }
        await faultPoint('hide: wrote the index versions');
        this.applied = { written: await writtenFingerprints(root, plan.written) };
        await writeDurable(join(this.dir, APPLIED), JSON.stringify(this.applied));
        await faultPoint('hide: applied.json');
      }

      // … then untracked files are listed under those rules and moved aside (untracked .gitignore files first).
      for (let round = 0; round < 4; round++) {
        const untracked = round === 0 && !plan.written.length && !trackedMoves.length ? firstUntracked : await listUntracked(root);
        if (!untracked.length) break;
        const ignoreFiles = untrackedIgnoreFiles(untracked);
        const batch = ignoreFiles.length && ignoreFiles.length < untracked.length ? ignoreFiles : untracked;
        const intents = batch.map((path): MoveIntent => ({ path, why: 'untracked' }));
        await checkWritable(root, intents, null);
        const moves = this.assign(intents);
        this.journal.moved.push(...moves);
        await writeFile(join(this.dir, RECOVER), recoverText(this.dir, this.journal));
        await this.saveJournal();
        await faultPoint('backup: journal (untracked)');
        await this.moveAside(moves);
        // hidden .gitignore files may have been hiding more: list again
        if (!ignoreFiles.length) break;
      }
      await writeFile(join(this.dir, RECOVER), recoverText(this.dir, this.journal));
    } catch (error) {
      // Put back whatever moved; the failure is reported as the one line it is.
      await this.rollback();
      throw error instanceof GuardError ? error : new GuardError(`loom-guard could not hide the unstaged changes (${(error as Error).message}); nothing was changed`);
    }
  }

  private async rollback(): Promise<void> {
    if (!this.journal) {
      await rm(this.dir, { recursive: true, force: true });
      return;
    }
    const outcome = await restoreJournal(this.paths.root, this.paths.gitDir, this.dir, this.journal, this.applied, { rollback: true });
    reportOutcome(outcome, this.reporter);
    this.journal = null;
  }

  /** Puts the user's working tree back (once, however often it is called). */
  restore(): Promise<RestoreOutcome | null> {
    this.restoring ??= (async () => {
      if (!this.journal) {
        // Nothing moved yet. Only a folder this run made is removed: a signal during the recovery
        // of a killed run's backup must leave that backup for the next run.
        if (this.created) await rm(this.dir, { recursive: true, force: true });
        debugLine('staged tree: closed; nothing to restore');
        return null;
      }
      await faultPoint('restore: start');
      debugLine(`staged tree: restoring from the journal of ${this.journal.startedAt}`);
      return restoreJournal(this.paths.root, this.paths.gitDir, this.dir, this.journal, this.applied);
    })();
    return this.restoring;
  }

  /** One line per write the hook did not make because the user's bytes were there. */
  reportKept(): void {
    const { lines, folder } = this.recovered;
    if (!lines.length || this.keptReported) return;
    this.keptReported = true;
    this.reporter.warn(`${lines.length} file(s) changed while loom-guard ran; your bytes were kept, nothing was overwritten (${folder}/RECOVER.txt lists these lines):`);
    for (const line of lines) this.reporter.warn(`  ${line}`);
  }

  /** Restore, then release the lock. A signal being handled owns both: this then waits for the exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (interrupted()) return handedOver();
    try {
      const outcome = await this.restore();
      if (outcome) reportOutcome(outcome, this.reporter);
      this.reportKept();
    } catch (error) {
      if (interrupted()) return handedOver();
      throw new GuardError(`could not put the working tree back (${(error as Error).message}); your files are safe in ${this.dir}: run loom-guard check --staged to finish`);
    } finally {
      if (!interrupted()) {
        this.unregister();
        await faultPoint('before release');
        await this.lock.release();
      }
    }
  }
}

/**
 * What checkout-index wrote, read back (its filters, eol and mode, exactly). A path whose bytes no
 * longer hash to its blob was saved over since (between the write and the read): it is left out,
 * so the restore compares it with the filtered blob instead and never takes the save for ours.
 */
async function writtenFingerprints(root: string, written: TrackedPlan['written']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const files: TrackedPlan['written'] = [];
  for (const w of written) {
    const fp = await fingerprint(join(root, w.path));
    if (!fp) continue;
    out[w.path] = fp;
    if (w.mode !== '120000') files.push(w);
  }
  for (let i = 0; i < files.length; i += 500) {
    const chunk = files.slice(i, i + 500);
    // Names go as arguments (a name may hold a newline); the hashes come back one a line.
    const result = await git(root, ['hash-object', '--', ...chunk.map((w) => w.path)]);
    const hashes = result.exitCode === 0 ? result.stdout.toString('utf8').trim().split('\n') : [];
    chunk.forEach((w, j) => {
      if (hashes[j] !== w.blob) delete out[w.path];
    });
  }
  return out;
}

function adviceFor(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOSPC') return 'free some space, then commit again';
  if (error.code === 'EACCES' || error.code === 'EPERM') return 'make the folder writable, then commit again';
  return 'fix the cause above, then commit again';
}
