import { lstat, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GuardError } from '../errors.js';
import { git, gitText } from '../git.js';
import { fingerprint } from './fsops.js';
import { APPLIED, backupDir, writeDurable, type Applied, type Journal } from './journal.js';

/** The hidden version a path has: the user's unstaged version (or whatever stood in the way), a deletion, or an untracked file. */
export type HiddenKind = 'modified' | 'deleted' | 'untracked';

/*
 * What a job running in the isolated tree (withStagedTree) may do besides reading it: learn which
 * paths have a hidden version (the user's unstaged edit, deletion or untracked file), see which
 * tracked files it rewrote, stage a rewrite, put the index version back, and rewrite the user's
 * hidden version. Every change here keeps the restore's promise: a staged rewrite is recorded as
 * "what the isolation wrote into the tree" (applied.json), so the restore never mistakes it for an
 * edit made while hidden, and a rewritten hidden version is written beside and renamed, so the
 * journal's backup always holds one whole version of the user's file.
 */

export interface TreeState {
  journal: Journal | null;
  applied: Applied | null;
  /** Called with a new record when there was none yet (the tree keeps it for its restore). */
  setApplied(applied: Applied): void;
}

export class StagedTreeEdits {
  /** `state` reads the session's live manifest and applied record (mutated in place here). */
  constructor(
    private readonly root: string,
    private readonly gitDir: string,
    private readonly state: () => TreeState,
  ) {}

  /** The kind of hidden version `path` has, or null when the tree shows the user's own file. */
  hidden(path: string): HiddenKind | null {
    const { journal } = this.state();
    const moved = journal?.moved.find((m) => m.path === path);
    // Something that stood in the way of a tracked file (a folder, a nested repo) is the user's
    // version too; hiddenVersion() finds no file there, so a fix to it blocks.
    if (moved) return moved.why === 'untracked' ? 'untracked' : 'modified';
    return journal?.written.some((w) => w.path === path) ? 'deleted' : null;
  }

  /**
   * Of `candidates` (repository-relative), the tracked files whose content in the tree now differs
   * from the index: what the job rewrote (the tree held exactly the index when the job started).
   */
  async rewritten(candidates: string[]): Promise<string[]> {
    const unique = [...new Set(candidates)];
    if (!unique.length) return [];
    const staged = new Map<string, string>();
    const listing = await gitText(this.root, ['ls-files', '-s', '-z', '--', ...unique.map((p) => `:(literal)${p}`)]);
    for (const line of listing.split('\0').filter(Boolean)) {
      const [meta, path] = line.split('\t') as [string, string];
      const [mode, blob] = meta.split(' ');
      if (mode === '100644' || mode === '100755') staged.set(path, blob as string);
    }
    const present: string[] = [];
    for (const path of staged.keys()) {
      const stat = await lstat(join(this.root, path)).catch(() => null);
      if (stat?.isFile()) present.push(path);
    }
    if (!present.length) return [];
    // hash-object applies the same clean filters (autocrlf) git add would: equal means unchanged.
    const hashes = (await gitText(this.root, ['hash-object', '--stdin-paths'], present.map((p) => `${p}\n`).join(''))).trim().split('\n');
    return present.filter((path, i) => hashes[i] !== staged.get(path));
  }

  /** Puts the index version of `paths` back in the tree: the job's rewrite is dropped. */
  async revert(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const result = await git(this.root, ['checkout-index', '-f', '-z', '--stdin'], paths.map((p) => `${p}\0`).join(''));
    if (result.exitCode !== 0) throw new GuardError(`git checkout-index failed: ${result.stderr.toString('utf8').trim()}`);
    await this.recordApplied(paths);
  }

  /** Stages the tree's content of `paths` (the job's rewrite) and records it as ours. */
  async stage(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const result = await git(this.root, ['add', '--', ...paths.map((p) => `:(literal)${p}`)]);
    if (result.exitCode !== 0) throw new GuardError(`git add failed: ${result.stderr.toString('utf8').trim()}`);
    await this.recordApplied(paths);
  }

  /** The tree's content of `path` (the job's rewrite), or null. */
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
    await writeDurable(file, content, (await lstat(file)).mode & 0o7777);
  }

  /**
   * A three-way merge (git merge-file): the change from `base` to `theirs` applied onto `ours`.
   * Null when they overlap (or a side is not text): nothing may be overwritten.
   */
  async merge(ours: Buffer, base: Buffer, theirs: Buffer): Promise<Buffer | null> {
    const dir = await mkdtemp(join(this.gitDir, 'loom-guard', 'merge-'));
    try {
      const [o, b, t] = ['ours', 'base', 'theirs'].map((n) => join(dir, n)) as [string, string, string];
      await Promise.all([writeFile(o, ours), writeFile(b, base), writeFile(t, theirs)]);
      const result = await git(this.root, ['merge-file', '-p', '-q', o, b, t]);
      return result.exitCode === 0 ? result.stdout : null;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private backupFile(path: string): string | null {
    const moved = this.state().journal?.moved.find((m) => m.path === path && m.why !== 'untracked');
    return moved ? join(backupDir(this.gitDir), 'files', moved.backup) : null;
  }

  /** What the tree holds now at a path the isolation wrote is what it left there: safe to restore over. */
  private async recordApplied(paths: string[]): Promise<void> {
    const state = this.state();
    if (!state.journal) return;
    const applied = state.applied ?? { written: {} };
    let changed = false;
    for (const path of paths) {
      if (!state.journal.written.some((w) => w.path === path)) continue;
      const fp = await fingerprint(join(this.root, path));
      if (fp) {
        applied.written[path] = fp;
        changed = true;
      }
    }
    if (!changed) return;
    await writeDurable(join(backupDir(this.gitDir), APPLIED), JSON.stringify(applied));
    if (!state.applied) state.setApplied(applied);
  }
}
