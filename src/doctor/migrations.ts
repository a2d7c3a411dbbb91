import type { Config } from '../config.js';
import { BlobReader, commitSource, getStagedChanges, headCommit, INDEX, type RepoPaths } from '../git.js';
import { resolveProtectedRef } from '../migrations/protectedRef.js';
import { Reporter } from '../report.js';
import { error, ok, warn, type Finding } from './types.js';

/** The migrations rules on the staged state, as doctor lines. */
export async function migrationsFinding(paths: RepoPaths, config: Config): Promise<Finding> {
  const head = await headCommit(paths.root);
  const changes = await getStagedChanges(paths.root);
  const reader = new BlobReader(paths.root);
  // The check's own lines are not printed: doctor says it in one line.
  const silent = new Reporter({ write: () => true });
  try {
    const { checkMigrations } = await import('../checks/migrations.js');
    // No replay here: doctor is many users' first command, and must not pay for loading SQLite.
    const rules = { ...config, replay: 'off' as const };
    const result = await checkMigrations(
      { paths, config: rules, reader, target: INDEX, base: head ? commitSource(head) : null, changes, reporter: silent },
      { force: true },
    );
    const first = result.details?.trim().split('\n')[0];
    if (result.status === 'fail') return error('migrations', `${result.summary ?? 'blocked'}: ${first ?? ''}`, result.fix ?? 'loom-guard migrations check');
    if (result.status === 'warn') return warn('migrations', `${result.summary ?? ''}: ${first ?? ''}`, 'loom-guard migrations check');
    const replay = config.replay === 'off' ? '' : ' (the replay on SQLite runs in `loom-guard migrations check`)';
    return ok('migrations', `${result.summary ?? 'migrations pass'}${replay}`);
  } finally {
    reader.close();
  }
}

export async function protectedRefFinding(root: string, config: Config): Promise<Finding> {
  const resolved = await resolveProtectedRef(root, config);
  if (resolved.ref !== null) return ok('protected-ref', `${resolved.ref}: new migrations are numbered above it`);
  return warn('protected-ref', resolved.note, config.protectedRef ? `git fetch (${config.protectedRef} is missing)` : 'git fetch origin, or set "protectedRef" in .loom-guard.json');
}
