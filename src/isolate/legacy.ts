import { createHash } from 'node:crypto';
import { git, type RepoPaths } from '../git.js';
import type { Reporter } from '../report.js';
import { backupDir, readApplied, readManifest, restoreFromBackup } from './backup.js';
import { safeRelative } from './journal.js';
import type { RestoreOutcome } from './restore.js';

/*
 * A backup written by loom-guard before the journal (manifest.json, version 1): finished the way
 * that version would, but always in the repository where this runs (never the recorded root).
 */
export async function recoverLegacy(paths: RepoPaths, reporter: Reporter): Promise<RestoreOutcome | null> {
  const dir = backupDir(paths.gitDir);
  const manifest = await readManifest(dir);
  if (!manifest || !Array.isArray(manifest.entries)) return null;
  if (!manifest.entries.every((e) => safeRelative(e.path))) return null;
  reporter.warn(`an interrupted run (pid ${manifest.pid}, ${manifest.startedAt}) left ${manifest.entries.length} file(s) hidden; putting them back`);
  const blobHash = async (blob: string) => {
    const result = await git(paths.root, ['cat-file', 'blob', blob]);
    return result.exitCode === 0 ? createHash('sha256').update(result.stdout).digest('hex') : null;
  };
  const outcome = await restoreFromBackup(paths.root, paths.gitDir, manifest, await readApplied(dir), blobHash);
  return { restored: outcome.restored, unsafe: outcome.unsafe.map((u) => ({ path: u.entry.path, advice: u.advice })), setAside: outcome.setAside, fixerOutput: [] };
}
