import { hasNoStatements } from './split.js';
import type { Finding, Migration, SqlFile } from './types.js';

/*
 * Names and numbering inside one migrations folder. Only files that look like migrations are
 * judged: a name ending in .sql (any case) or starting with a digit. Anything else (README.md,
 * .gitkeep, notes) is ignored on purpose, so a folder can document itself.
 */

const MIGRATION_RE = /^(\d+)_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The migration a file name stands for, or null when the name is not `NNN_snake_case.sql`. */
export function parseMigrationName(path: string): Migration | null {
  const name = baseName(path);
  const m = MIGRATION_RE.exec(name);
  if (!m) return null;
  const digits = m[1] as string;
  return { path, name, number: Number(digits), digits, slug: m[2] as string };
}

/** Files the names rule looks at; the rest of the folder is not its business. */
export function looksLikeMigration(path: string): boolean {
  const name = baseName(path);
  return /\.sql$/i.test(name) || /^\d/.test(name);
}

/** The folder's zero-padded width: the one most of its migrations use (the wider on a tie), 3 when empty. */
export function folderWidth(migrations: Migration[]): number {
  const counts = new Map<number, number>();
  for (const m of migrations) counts.set(m.digits.length, (counts.get(m.digits.length) ?? 0) + 1);
  let best = 3;
  let bestCount = 0;
  for (const [width, count] of counts) {
    if (count > bestCount || (count === bestCount && width > best)) {
      best = width;
      bestCount = count;
    }
  }
  return best;
}

export const pad = (n: number, width: number) => String(n).padStart(width, '0');

function suggestName(name: string, width: number): string | null {
  // 007-add-x.SQL, 7_AddX.sql → 007_add_x.sql: the fix is easier to follow with the name spelled out.
  const m = /^(\d+)[-_ .]*(.*?)(\.sql)?$/i.exec(name);
  if (!m || !m[2]) return null;
  const slug = slugify(m[2]);
  return slug ? `${pad(Number(m[1]), width)}_${slug}.sql` : null;
}

/** `"Add Clips Table"` → `add_clips_table`; camelCase is split too. Empty when nothing usable is left. */
export function slugify(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

export interface NamesResult {
  /** Well-named migrations, ascending by number then name. */
  migrations: Migration[];
  width: number;
  findings: Finding[];
}

/**
 * Names, width, uniqueness, gaps and emptiness of the files directly in one folder. `isChanged`
 * says which files the change touches: of two files sharing a number, the one it touches is blamed.
 */
export function checkNames(files: SqlFile[], isChanged: (path: string) => boolean = () => false): NamesResult {
  const findings: Finding[] = [];
  const error = (file: string, message: string) => findings.push({ rule: 'names', file, message, severity: 'error' });
  const migrations: Migration[] = [];
  const stray: SqlFile[] = [];
  for (const file of files) {
    if (!looksLikeMigration(file.path)) continue;
    const m = parseMigrationName(file.path);
    if (m) migrations.push(m);
    else stray.push(file);
  }
  migrations.sort((a, b) => a.number - b.number || (a.name < b.name ? -1 : 1));
  const width = folderWidth(migrations);

  for (const file of stray) {
    const hint = suggestName(baseName(file.path), width);
    error(file.path, `name does not match NNN_snake_case.sql${hint ? ` (rename it to ${hint})` : ''}`);
  }
  for (const m of migrations) {
    if (m.digits.length !== width) {
      error(m.path, `number ${m.digits} is not ${width} digits wide like the rest of the folder (rename it to ${pad(m.number, width)}_${m.slug}.sql)`);
    }
  }
  const byNumber = new Map<number, Migration[]>();
  for (const m of migrations) byNumber.set(m.number, [...(byNumber.get(m.number) ?? []), m]);
  for (const [number, same] of byNumber) {
    if (same.length < 2) continue;
    // The file already there keeps its number; the one this change brings is told to move.
    same.sort((a, b) => Number(isChanged(a.path)) - Number(isChanged(b.path)));
    for (const m of same.slice(1)) {
      error(m.path, `number ${pad(number, width)} is used twice (also ${same[0]?.name}): give it the next free number`);
    }
  }
  const numbers = [...byNumber.keys()].sort((a, b) => a - b);
  for (let i = 1; i < numbers.length; i++) {
    const prev = numbers[i - 1] as number;
    const next = numbers[i] as number;
    if (next > prev + 1) {
      const after = byNumber.get(next)?.[0] as Migration;
      const before = byNumber.get(prev)?.[0] as Migration;
      const missing = next - prev === 2 ? pad(prev + 1, width) : `${pad(prev + 1, width)} to ${pad(next - 1, width)}`;
      error(after.path, `numbering has a gap: no ${missing} between ${before.name} and ${after.name} (renumber it to ${pad(prev + 1, width)})`);
    }
  }
  for (const file of files) {
    if (!looksLikeMigration(file.path)) continue;
    if (file.content.trim() === '') error(file.path, 'file is empty: write the migration or remove the file');
    else if (hasNoStatements(file.content)) error(file.path, 'file holds only comments, no SQL statement: write the migration or remove the file');
  }
  return { migrations, width, findings };
}
