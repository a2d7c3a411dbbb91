import type { Change } from '../git.js';
import { baseName, byVersion, looksLikeMigration, parseMigrationName, schemeOf, type NamingScheme } from './names.js';
import type { Finding, Migration, SqlFile } from './types.js';

/*
 * Rules against the protected ref (the remote trunk): what is there has already run on servers.
 *
 * Numbering is judged on the whole target folder, not only on files added by this change: a
 * migration committed locally before a teammate pushed the same number collides just the same.
 * Edits are judged on the change itself (base → target), so a branch that is merely behind trunk is
 * not accused of deleting trunk's newer files.
 *
 * Under every naming scheme: a new sqlx .down.sql for an up already on the ref runs only on revert,
 * and refinery's U<n>__ files are applied out of order by design, so neither has to be numbered
 * above the ref; everything else does.
 */

export interface ProtectedInput {
  /** The protected ref's name as the user knows it (origin/trunk). */
  ref: string;
  /** Migrations of the folder in the target state. */
  target: Migration[];
  /** Contents of the target's files that changed, by path (for "edited back to the original"). */
  targetContent: Map<string, string>;
  /** The folder's files on the protected ref. */
  protectedFiles: SqlFile[];
  /** The change's entries inside this folder. */
  changes: Change[];
  width: number;
  allowEdits: boolean;
  /** Config `naming`; loom when absent. */
  scheme?: NamingScheme;
}

export function checkProtected(input: ProtectedInput): Finding[] {
  const findings: Finding[] = [];
  const error = (file: string, message: string) => findings.push({ rule: 'protected', file, message, severity: 'error' });
  const onRef = new Map(input.protectedFiles.map((f) => [f.path, f.content]));
  const scheme = schemeOf(input.scheme);
  const refMigrations = byVersion(
    input.protectedFiles.map((f) => parseMigrationName(f.path, scheme)).filter((m): m is Migration => m !== null && m.kind !== 'down'),
  );
  const top = refMigrations[refMigrations.length - 1];

  if (top) {
    // A protected file renamed in this change is reported as a rename, not again as a new file.
    const renamed = new Set(input.changes.filter((c) => c.status === 'R' && c.oldPath && onRef.has(c.oldPath)).map((c) => c.path));
    const fresh = input.target.filter((m) => !onRef.has(m.path) && !renamed.has(m.path) && m.kind !== 'down' && m.kind !== 'unversioned');
    const downs = new Map(input.target.filter((m) => m.kind === 'down').map((m) => [m.number, m]));
    let next = top.number + 1n;
    for (const m of fresh) {
      if (m.number > top.number) continue;
      const clash = refMigrations.find((r) => r.number === m.number);
      const why = clash ? `${input.ref} already has ${clash.name}` : `${input.ref} already has migrations up to ${top.name}`;
      // sqlx versions keep the width of the ref's newest (a timestamp stays 14 digits wide).
      const width = scheme.id === 'sqlx' ? Math.max(top.digits.length, m.digits.length) : input.width;
      const dir = m.path.slice(0, -m.name.length);
      const down = m.kind === 'up' ? downs.get(m.number) : undefined;
      const moveDown = down && !onRef.has(down.path) ? ` and git mv ${down.path} ${dir}${scheme.format(next, width, down.slug, 'down')}` : '';
      const to = scheme.format(next, width, m.slug, m.kind);
      findings.push({
        rule: 'protected',
        file: m.path,
        severity: 'error',
        rename: to,
        message: `is new but numbered ${m.digits}, and ${why}: renumber it above, e.g. git mv ${m.path} ${dir}${to}${moveDown}`,
      });
      next++;
    }
  }

  if (input.allowEdits) return findings;
  for (const change of input.changes) {
    const from = change.oldPath ?? change.path;
    if (!looksLikeMigration(from) || !onRef.has(from)) continue;
    if (change.status === 'D') {
      error(from, `is deleted, but it is on ${input.ref} and has already run: restore it (git checkout ${input.ref} -- ${from}) and undo its effect in a new migration`);
    } else if (change.status === 'R') {
      error(from, `is renamed to ${baseName(change.path)}, but it is on ${input.ref} under its old name: rename it back (git mv ${change.path} ${from})`);
    } else if ((change.status === 'A' || change.status === 'C') && input.targetContent.get(change.path) !== onRef.get(change.path)) {
      // Both sides added the same name: the ref's file ran on servers, ours never will under that name.
      error(change.path, `is new here, but ${input.ref} already has a different file of that name: give yours the next free number (loom-guard migrations new <name>)`);
    } else if (change.status === 'M' || change.status === 'T') {
      const now = input.targetContent.get(change.path);
      if (now !== undefined && now === onRef.get(from)) continue; // edited back to exactly what trunk has
      error(change.path, `is edited, but it is on ${input.ref} and servers will not run it again: restore it (git checkout ${input.ref} -- ${change.path}) and put the change in a new migration (loom-guard migrations new <name>)`);
    }
  }
  return findings;
}
