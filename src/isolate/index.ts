import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { backupDir, guardDir, ownerAlive, readManifest } from './backup.js';

export { withStagedTree, recoverLeftover } from './session.js';
export { backupDir } from './backup.js';

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
  const manifest = await readManifest(dir);
  if (manifest) {
    if (ownerAlive(manifest)) {
      findings.push({ id: 'leftover', status: 'ok', message: `a loom-guard run (pid ${manifest.pid}) is checking the staged tree right now` });
    } else {
      findings.push({
        id: 'leftover',
        status: 'error',
        message: `an interrupted loom-guard run (pid ${manifest.pid}, ${manifest.startedAt}) left ${manifest.entries.length} file(s) of your working tree hidden in ${dir}`,
        fix: 'run loom-guard check --staged (or commit again): it restores them first, setting aside anything changed since',
      });
    }
  }
  const names = await readdir(guardDir(gitDir)).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.startsWith('recovered-')).sort()) {
    const where = join(guardDir(gitDir), name);
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
