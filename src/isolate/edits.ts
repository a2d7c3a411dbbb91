import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GuardError } from '../errors.js';
import { git, gitText } from '../git.js';
import { casWrite, modeFor, type Recovered } from './cas.js';
import { faultPoint } from './faults.js';
import { bytesFingerprint, fingerprint } from './fsops.js';
import { APPLIED, backupDir, writeDurable, type Applied, type Fix, type Journal } from './journal.js';
import { handedOver, mustStop } from './signals.js';

/** The hidden version a path has: the user's unstaged version (or whatever stood in the way), a deletion, or an untracked file. */
export type HiddenKind = 'modified' | 'deleted' | 'untracked';

/*
 * What a job running in the isolated tree (withStagedTree) may do besides reading it: learn which
 * paths have a hidden version, see which tracked files changed, record a fixer's rewrite, put the
 * index version back, stage the fixes once the run passes, and rewrite the user's hidden version.
 *
 * Every write into the tree goes through casWrite (isolate/cas.ts): it happens only while the path
 * still holds what the hook put or found there; otherwise the user's current bytes stay and the
 * hook's version is kept under recovered-<time>/. A fixer's rewrite is journaled (journal.fixes)
 * before it lands (fmt fix) or as soon as the fixer exits (a lint-staged task writes in place), and
 * what is staged is those journaled bytes, never whatever the tree holds when `git add` would run.
 */

export interface TreeHost {
  /** The live journal, made (durably, with its folder) on first call when nothing was hidden. */
  journal(): Promise<Journal>;
  current(): Journal | null;
  applied(): Applied | null;
  setApplied(applied: Applied): void;
  saveJournal(): Promise<void>;
  /** A fresh name under files/. */
  nextBackup(): string;
  recovered: Recovered;
}

interface IndexEntry {
  mode: string;
  blob: string;
}

export interface Changed {
  /** Tracked files whose bytes are neither the index version nor a journaled fix. */
  modified: string[];
  /** Tracked files that are gone (and were not hidden by the isolation). */
  deleted: string[];
}

export interface PutBackOutcome {
  written: string[];
  /** Paths whose current bytes were kept: path -> where the hook's version went. */
  kept: Map<string, string>;
}

const REGULAR = new Set(['100644', '100755']);

/**
 * Called right before every write: once a signal arrived, the handler owns the tree (it restores
 * while the job's code may still be between two awaits), so the job's write or `git add` must not
 * land. The handler's own cleanups (lint-staged's adopt of a stopped task's rewrite) go on.
 */
async function stillOurs(): Promise<void> {
  if (mustStop()) await handedOver();
}

export class StagedTreeEdits {
  /** The bytes of each journaled fix, for the merge into a hidden version. */
  private readonly fixBytes = new Map<string, Buffer>();
  /** Staged files that changed before a fixer started: a save of the user's, never a fix to adopt. */
  private readonly savedBefore = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly gitDir: string,
    private readonly host: TreeHost,
  ) {}

  get recovered(): Recovered {
    return this.host.recovered;
  }

  /** The kind of hidden version `path` has, or null when the tree shows the user's own file. */
  hidden(path: string): HiddenKind | null {
    const journal = this.host.current();
    const moved = journal?.moved.find((m) => m.path === path);
    // Something that stood in the way of a tracked file (a folder, a nested repo) is the user's
    // version too; hiddenVersion() finds no file there, so a fix to it blocks.
    if (moved) return moved.why === 'untracked' ? 'untracked' : 'modified';
    return journal?.written.some((w) => w.path === path) ? 'deleted' : null;
  }

  private written(path: string): boolean {
    return this.host.current()?.written.some((w) => w.path === path) ?? false;
  }

  private fix(path: string): Fix | undefined {
    return this.host.current()?.fixes?.find((f) => f.path === path);
  }

  /** Index entries (regular files only) of `paths`; -z throughout, so any name works. */
  async indexEntries(paths: string[]): Promise<Map<string, IndexEntry>> {
    const out = new Map<string, IndexEntry>();
    const unique = [...new Set(paths)];
    for (let i = 0; i < unique.length; i += 500) {
      const chunk = unique.slice(i, i + 500);
      const listing = await gitText(this.root, ['ls-files', '-s', '-z', '--', ...chunk.map((p) => `:(literal)${p}`)]);
      for (const line of listing.split('\0').filter(Boolean)) {
        const tab = line.indexOf('\t');
        const [mode, blob] = line.slice(0, tab).split(' ') as [string, string];
        if (REGULAR.has(mode)) out.set(line.slice(tab + 1), { mode, blob });
      }
    }
    return out;
  }

  /** The index version of `path` as checkout would write it (smudge filters, eol). */
  async indexVersion(path: string, entry: IndexEntry): Promise<Buffer> {
    const result = await git(this.root, ['cat-file', '--filters', `--path=${path}`, entry.blob]);
    if (result.exitCode !== 0) throw new GuardError(`git cat-file could not read the staged version of ${path}: ${result.stderr.toString('utf8').trim()}`);
    return result.stdout;
  }

  /** The staged version of `path` as checkout would write it, or null when it is not a staged file. */
  async stagedVersion(path: string): Promise<Buffer | null> {
    const entry = (await this.indexEntries([path])).get(path);
    return entry ? this.indexVersion(path, entry) : null;
  }

  /**
   * Of `candidates`, the tracked files that changed since the tree showed the index: rewritten
   * (bytes neither the index version nor a journaled fix) or deleted.
   */
  async changed(candidates: string[]): Promise<Changed> {
    const entries = await this.indexEntries(candidates);
    const modified: string[] = [];
    const deleted: string[] = [];
    const compare: string[] = [];
    for (const path of entries.keys()) {
      const stat = await lstat(join(this.root, path)).catch(() => null);
      const fix = this.fix(path);
      if (!stat) {
        if (!this.hidden(path)) deleted.push(path);
        continue;
      }
      if (!stat.isFile()) continue;
      if (fix && !fix.staged) {
        if ((await fingerprint(join(this.root, path))) !== fix.after) modified.push(path);
        continue;
      }
      compare.push(path);
    }
    // hash-object applies the clean filters (autocrlf) git add would: equal means unchanged. Names
    // go as arguments (a name may hold a newline), the hashes come back one a line.
    for (let i = 0; i < compare.length; i += 500) {
      const chunk = compare.slice(i, i + 500);
      const hashes = (await gitText(this.root, ['hash-object', '--', ...chunk])).trim().split('\n');
      chunk.forEach((path, j) => {
        if (hashes[j] !== entries.get(path)?.blob) modified.push(path);
      });
    }
    return { modified, deleted };
  }

  /** The blob `git add` would make of `content` at `path` (clean filters), written to the object store. */
  private async blobOf(path: string, content: Buffer): Promise<string> {
    const result = await git(this.root, ['hash-object', '-w', '--stdin', `--path=${path}`], content);
    if (result.exitCode !== 0) throw new GuardError(`git hash-object failed for ${path}: ${result.stderr.toString('utf8').trim()}`);
    return result.stdout.toString('utf8').trim();
  }

  /** Journals a fix whose bytes are `content` (durable before anything else happens to the path). */
  private async journalFix(path: string, entry: IndexEntry, before: Buffer, content: Buffer): Promise<Fix> {
    await stillOurs();
    const journal = await this.host.journal();
    journal.fixes ??= [];
    const existing = journal.fixes.findIndex((f) => f.path === path);
    if (existing >= 0) journal.fixes.splice(existing, 1);
    let backup: string | null = null;
    if (!this.written(path)) {
      backup = this.host.nextBackup();
      await writeDurable(join(backupDir(this.gitDir), 'files', backup), before, entry.mode === '100755' ? 0o755 : 0o644);
    }
    const fix: Fix = { path, after: bytesFingerprint(content, entry.mode === '100755'), before: backup, blob: await this.blobOf(path, content), mode: entry.mode, staged: false };
    journal.fixes.push(fix);
    await this.host.saveJournal();
    this.fixBytes.set(path, content);
    return fix;
  }

  /** What the hook put or found at `path`: the fingerprints a write may replace. */
  private async ours(path: string, entry: IndexEntry): Promise<string[]> {
    const out: string[] = [];
    const applied = this.host.applied()?.written[path];
    if (applied) out.push(applied);
    const fix = this.fix(path);
    if (fix && !fix.staged) out.push(fix.after);
    if (!this.written(path)) out.push(bytesFingerprint(await this.indexVersion(path, entry), entry.mode === '100755'));
    return out;
  }

  /**
   * Call right before a fixer that writes in place starts on `paths`: any of them that no longer
   * shows its staged version was saved over (by the user) while the tree was being hidden, and is
   * never adopted as the fixer's rewrite (it stays as it is, not staged). Returns those paths.
   */
  async beforeFixer(paths: string[]): Promise<string[]> {
    const { modified } = await this.changed(paths);
    for (const path of modified) this.savedBefore.add(path);
    return modified;
  }

  /**
   * A fixer (lint-staged's tasks) rewrote `paths` in place: their bytes now are the fix, journaled
   * so that a restore tells them from the user's. Returns the paths adopted (never one saved over
   * before the fixer started, see beforeFixer).
   */
  async adopt(paths: string[]): Promise<string[]> {
    const entries = await this.indexEntries(paths.filter((p) => !this.savedBefore.has(p)));
    const adopted: string[] = [];
    for (const [path, entry] of entries) {
      const content = await readFile(join(this.root, path)).catch(() => null);
      if (!content) continue;
      await this.journalFix(path, entry, await this.indexVersion(path, entry), content);
      adopted.push(path);
    }
    return adopted;
  }

  /**
   * A fixer computed `content` for `path` from its staged version (fmt fix): journaled, then
   * written into the tree by compare-and-swap. The fix is staged later whatever the tree holds.
   */
  async propose(path: string, content: Buffer): Promise<{ written: boolean; kept?: string }> {
    const entry = (await this.indexEntries([path])).get(path);
    if (!entry) throw new GuardError(`${path} is not a staged file; nothing was changed`);
    const before = await this.indexVersion(path, entry);
    const ours = await this.ours(path, entry);
    await this.journalFix(path, entry, before, content);
    await faultPoint(`fix: journaled ${path}`);
    const target = join(this.root, path);
    await stillOurs();
    const outcome = await casWrite(this.root, path, ours, content, await modeFor(target, entry.mode), this.host.recovered, 'changed while a fixer ran (a save of yours?)');
    await faultPoint(`fix: wrote ${path}`);
    return outcome.written ? { written: true } : { written: false, kept: outcome.kept };
  }

  /**
   * Puts the index version of `paths` back where the hook put or found it (a fix dropped, a file a
   * task deleted); where anything else stands now, it stays, and the index version goes to
   * recovered-<time>/.
   */
  async putBack(paths: string[], why: string): Promise<PutBackOutcome> {
    const outcome: PutBackOutcome = { written: [], kept: new Map() };
    const entries = await this.indexEntries(paths);
    for (const [path, entry] of entries) {
      const content = await this.indexVersion(path, entry);
      const target = join(this.root, path);
      await stillOurs();
      const result = await casWrite(this.root, path, await this.ours(path, entry), content, await modeFor(target, entry.mode), this.host.recovered, why);
      await this.forgetFix(path);
      if (!result.written) {
        outcome.kept.set(path, result.kept);
        continue;
      }
      outcome.written.push(path);
      await this.recordApplied(path, bytesFingerprint(content, ((await modeFor(target, entry.mode)) & 0o111) !== 0));
    }
    return outcome;
  }

  private async forgetFix(path: string): Promise<void> {
    const journal = this.host.current();
    const i = journal?.fixes?.findIndex((f) => f.path === path && !f.staged) ?? -1;
    if (!journal?.fixes || i < 0) return;
    journal.fixes.splice(i, 1);
    this.fixBytes.delete(path);
    await this.host.saveJournal();
  }

  /** The bytes of the journaled fix of `path`, or null. */
  fixOf(path: string): Buffer | null {
    return this.fixBytes.get(path) ?? null;
  }

  /** Paths with a journaled fix not staged yet. */
  pendingFixes(): string[] {
    return (this.host.current()?.fixes ?? []).filter((f) => !f.staged).map((f) => f.path);
  }

  /**
   * Stages every journaled fix not staged yet (the journaled blob, not the tree's bytes now).
   * Under `git commit <path>` / `--only` git's hooks see a temporary index (GIT_INDEX_FILE) and the
   * real index waits in index.lock: both get the same entries.
   */
  async stageFixes(): Promise<string[]> {
    const journal = this.host.current();
    const pending = (journal?.fixes ?? []).filter((f) => !f.staged);
    if (!pending.length) return [];
    const info = pending.map((f) => `${f.mode} ${f.blob}\t${f.path}\0`).join('');
    await stillOurs();
    const result = await git(this.root, ['update-index', '-z', '--index-info'], info);
    if (result.exitCode !== 0) throw new GuardError(`git update-index failed: ${result.stderr.toString('utf8').trim()}`);
    const temporary = process.env.GIT_INDEX_FILE ? resolve(this.root, process.env.GIT_INDEX_FILE) : null;
    const realLock = join(this.gitDir, 'index.lock');
    if (temporary && temporary !== realLock && temporary !== join(this.gitDir, 'index') && (await lstat(realLock).then(() => true, () => false))) {
      await stillOurs();
      const real = await git(this.root, ['update-index', '-z', '--index-info'], info, { ...process.env, GIT_INDEX_FILE: realLock });
      if (real.exitCode !== 0) throw new GuardError(`git update-index of the real index failed: ${real.stderr.toString('utf8').trim()}`);
    }
    for (const f of pending) f.staged = true;
    await this.host.saveJournal();
    return pending.map((f) => f.path);
  }

  /** The tree's content of `path`, or null. */
  async readTree(path: string): Promise<Buffer | null> {
    return readFile(join(this.root, path)).catch(() => null);
  }

  /** The user's hidden version of a `modified` path, or null. */
  async hiddenVersion(path: string): Promise<Buffer | null> {
    const file = this.backupFile(path);
    if (!file) return null;
    const stat = await lstat(file).catch(() => null);
    return stat?.isFile() ? readFile(file) : null;
  }

  /** Replaces the user's hidden version of a `modified` path: the restore puts `content` back. */
  async replaceHidden(path: string, content: Buffer): Promise<void> {
    const file = this.backupFile(path);
    if (!file) throw new GuardError(`${path} has no hidden version to replace`);
    await stillOurs();
    await writeDurable(file, content, (await lstat(file)).mode & 0o7777);
  }

  /**
   * A three-way merge (git merge-file): the change from `base` to `theirs` applied onto `ours`.
   * Merged on normalized text (LF) and written back in `ours`'s line endings, so a file checked
   * out with CRLF (`eol=crlf`, `core.autocrlf`) merges like any other.
   * Null when they overlap (or a side is not text): nothing may be overwritten.
   */
  async merge(ours: Buffer, base: Buffer, theirs: Buffer): Promise<Buffer | null> {
    // Only a file that is CRLF throughout is normalized: a mixed one merges as its bytes are.
    const crlf = ours.includes('\r\n') && !/(^|[^\r])\n/.test(ours.toString('latin1'));
    const lf = (b: Buffer) => (crlf && b.includes('\r\n') ? Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : b);
    const dir = await mkdtemp(join(this.gitDir, 'loom-guard', 'merge-'));
    try {
      const [o, b, t] = ['ours', 'base', 'theirs'].map((n) => join(dir, n)) as [string, string, string];
      await Promise.all([writeFile(o, lf(ours)), writeFile(b, lf(base)), writeFile(t, lf(theirs))]);
      const result = await git(this.root, ['merge-file', '-p', '-q', o, b, t]);
      if (result.exitCode !== 0) return null;
      return crlf ? Buffer.from(result.stdout.toString('latin1').replace(/\n/g, '\r\n'), 'latin1') : result.stdout;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private backupFile(path: string): string | null {
    const moved = this.host.current()?.moved.find((m) => m.path === path && m.why !== 'untracked');
    return moved ? join(backupDir(this.gitDir), 'files', moved.backup) : null;
  }

  /** What the hook wrote at a path the isolation wrote (by its fingerprint): safe to restore over. */
  private async recordApplied(path: string, fp: string): Promise<void> {
    if (!this.written(path)) return;
    const applied = this.host.applied() ?? { written: {} };
    applied.written[path] = fp;
    await writeDurable(join(backupDir(this.gitDir), APPLIED), JSON.stringify(applied));
    if (!this.host.applied()) this.host.setApplied(applied);
  }
}
