import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from './backup.js';
import { backupDir, readJournal } from './journal.js';
import { lockHolder, describeHolder } from './lock.js';

export { withStagedTree, recoverLeftover } from './session.js';
export { StagedTree, type Hidden, type OpenOptions } from './stagedTree.js';
export { acquireRepoLock, type RepoLock, type AcquireOptions } from './lock.js';
export { backupDir } from './journal.js';

/** One doctor line about leftovers of an interrupted run (the shape of doctor's Finding). */
export interface LeftoverFinding {
  id: 'leftover';
  status: 'ok' | 'warn' | 'error';
  message: string;
  fix?: string;
}

/**
 * What an interrupted pre-commit run left behind, for `doctor`: a backup whose restore never
 * finished (the next run finishes it), or earlier versions set aside because they could not be
 * put back safely. An empty list means nothing is left over.
 */
export async function leftoverFindings(gitDir: string): Promise<LeftoverFinding[]> {
  const findings: LeftoverFinding[] = [];
  const dir = backupDir(gitDir);
  const holder = await lockHolder(gitDir);
  if (holder && holder.liveness !== 'dead') {
    findings.push({ id: 'leftover', status: 'ok', message: `a loom-guard run (${describeHolder(holder)}) is using the working tree right now` });
  } else {
    const read = await readJournal(dir);
    const legacy = read.kind === 'none' ? await readManifest(dir) : null;
    const count = read.kind === 'ok' ? read.journal.moved.length : (legacy?.entries.length ?? null);
    if (read.kind !== 'none' || legacy) {
      const who = read.kind === 'ok' ? `pid ${read.journal.pid}, ${read.journal.startedAt}` : legacy ? `pid ${legacy.pid}, ${legacy.startedAt}` : 'unknown';
      findings.push({
        id: 'leftover',
        status: 'error',
        message: `an interrupted loom-guard run (${who}) left ${count ?? 'some'} item(s) of your working tree hidden in ${dir}`,
        fix: 'run loom-guard check --staged (or commit again): it restores them first, setting aside anything changed since',
      });
    }
  }
  const names = await readdir(join(gitDir, 'loom-guard')).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('recovered-')).sort()) {
    const where = join(gitDir, 'loom-guard', name);
    findings.push({
      id: 'leftover',
      status: 'warn',
      message: `earlier versions of files that changed while hidden are kept in ${where}`,
      fix: `follow ${join(where, 'RECOVER.txt')}, then delete the folder: rm -r ${where}`,
    });
  }
  return findings;
}
export { StagedTreeEdits } from './edits.js';
