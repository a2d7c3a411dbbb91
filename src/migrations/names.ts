import type { NamingScheme } from '../config.js';
import { hasNoStatements } from './split.js';
import type { Finding, Migration, MigrationKind, SqlFile } from './types.js';

/*
 * Names and numbering inside one migrations folder, under one naming scheme (config `naming`).
 * Only files that look like migrations are judged: a name ending in .sql (any case) or starting
 * with a digit. Anything else (README.md, .gitkeep, notes) is
 * ignored on purpose, so a folder can document itself.
 *
 * Every name this module suggests is valid under the active scheme: the folder's width where the
 * scheme has one, a description taken from the file's own name or no suggestion at all.
 *
 *   loom      NNN_snake_case.sql: one zero-padded width, no gaps (Loom's server has no table).
 *   sqlx      <version>_<description>.sql, optional .up.sql/.down.sql pairs; the version is an i64
 *             of any width (timestamps), the description is whatever follows the first `_`
 *             (sqlx's MigrationSource); gaps are normal.
 *   refinery  V<n>__<name>.sql (versioned) and U<n>__<name>.sql (refinery's "unversioned": applied
 *             even when numbered below the last applied one, not an undo); `<n>` an i32, `<name>`
 *             word characters; V and U share one version space. refinery never checks gaps.
 */

export type { NamingScheme };

export interface Scheme {
  id: NamingScheme;
  /** The pattern as a person reads it. */
  pattern: string;
  /** Whether numbering may skip numbers when config `gaps` is not set. */
  gapsByDefault: boolean;
  /** Loom pads every number to one width; the others accept any width. */
  fixedWidth: boolean;
  /** The largest version the tool can read, and its words for it. */
  max: { value: bigint; what: string } | null;
  parse(name: string): Omit<Migration, 'path' | 'name'> | null;
  /** A file name valid under the scheme. */
  format(number: bigint, width: number, slug: string, kind: MigrationKind): string;
}

const LOOM_RE = /^(\d+)_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$/;
const REFINERY_RE = /^([UV])(\d+)__(\w+)\.sql$/;

export const pad = (n: bigint | number, width: number) => String(n).padStart(width, '0');

const SCHEMES: Record<NamingScheme, Scheme> = {
  loom: {
    id: 'loom',
    pattern: 'NNN_snake_case.sql',
    gapsByDefault: false,
    fixedWidth: true,
    max: null,
    parse(name) {
      const m = LOOM_RE.exec(name);
      if (!m) return null;
      const digits = m[1] as string;
      return { number: BigInt(digits), digits, slug: m[2] as string, kind: 'plain' };
    },
    format: (n, width, slug) => `${pad(n, width)}_${slug}.sql`,
  },
  sqlx: {
    id: 'sqlx',
    pattern: '<version>_<description>.sql (or .up.sql/.down.sql)',
    gapsByDefault: true,
    fixedWidth: false,
    max: { value: 9223372036854775807n, what: 'sqlx reads versions as a signed 64-bit integer' },
    parse(name) {
      const kind: MigrationKind = name.endsWith('.up.sql') ? 'up' : name.endsWith('.down.sql') ? 'down' : 'plain';
      if (!name.endsWith('.sql')) return null;
      const stem = name.slice(0, -(kind === 'plain' ? 4 : kind === 'up' ? 7 : 9));
      const m = /^(\d+)_(.+)$/s.exec(stem);
      if (!m) return null;
      const digits = m[1] as string;
      return { number: BigInt(digits), digits, slug: m[2] as string, kind };
    },
    format: (n, width, slug, kind) => `${pad(n, width)}_${slug}${kind === 'up' ? '.up' : kind === 'down' ? '.down' : ''}.sql`,
  },
  refinery: {
    id: 'refinery',
    pattern: 'V<n>__<name>.sql (or U<n>__<name>.sql)',
    gapsByDefault: true,
    fixedWidth: false,
    max: { value: 2147483647n, what: 'refinery reads versions as a signed 32-bit integer' },
    parse(name) {
      const m = REFINERY_RE.exec(name);
      if (!m) return null;
      const digits = m[2] as string;
      return { number: BigInt(digits), digits, slug: m[3] as string, kind: m[1] === 'U' ? 'unversioned' : 'plain' };
    },
    format: (n, width, slug, kind) => `${kind === 'unversioned' ? 'U' : 'V'}${pad(n, width)}__${slug}.sql`,
  },
};

export const NAMING_SCHEMES = Object.keys(SCHEMES) as NamingScheme[];
export const schemeOf = (id: NamingScheme = 'loom'): Scheme => SCHEMES[id];

export const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The migration a file name stands for under `scheme`, or null when the name does not follow it. */
export function parseMigrationName(path: string, scheme: Scheme = SCHEMES.loom): Migration | null {
  const name = baseName(path);
  const parsed = scheme.parse(name);
  return parsed ? { path, name, ...parsed } : null;
}

/** Files the names rule looks at; the rest of the folder is not its business. */
export function looksLikeMigration(path: string): boolean {
  const name = baseName(path);
  return /\.sql$/i.test(name) || /^\d/.test(name);
}

/** Files the server applies, in order: everything but sqlx's down files. */
export const isApplied = (m: Migration) => m.kind !== 'down';

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

/** `"Add Clips Table"` → `add_clips_table`; camelCase is split too. Empty when nothing usable is left. */
export function slugify(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

const compare = (a: Migration, b: Migration) => (a.number < b.number ? -1 : a.number > b.number ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Sorted by version, then name: the order the server applies them in. */
export const byVersion = (migrations: Migration[]) => [...migrations].sort(compare);

interface Rename {
  to: string | null;
  /** Why no name can be suggested (when `to` is null). */
  why: string;
}

/**
 * A valid name for a file that does not follow the scheme, built from its own number and words:
 * `007-add-x.SQL` → `007_add_x.sql`. None when the file has no number or no words to keep
 * (`0000.sql` must not become `000_sql.sql`), or when the number does not fit or is taken.
 */
function renameStray(name: string, scheme: Scheme, width: number, taken: Map<bigint, Migration>): Rename {
  // The extension goes first: a separator-then-words pattern over `0000.sql` would read "sql" as words.
  const noExt = name.replace(/\.sql$/i, '');
  const updown = /\.(up|down)$/i.exec(noExt)?.[0]?.toLowerCase() ?? '';
  const m = /^([UuVv])?(\d+)[-_ .]*(.*)$/s.exec(noExt.slice(0, noExt.length - updown.length));
  if (!m) return { to: null, why: 'it does not start with a version number' };
  const digits = m[2] as string;
  const number = BigInt(digits);
  const slug = slugify(m[3] ?? '');
  if (!slug) return { to: null, why: 'it has no description after the number' };
  if (scheme.max && number > scheme.max.value) return { to: null, why: `its version is too large (${scheme.max.what})` };
  let to: string;
  let kind: MigrationKind = 'plain';
  if (scheme.id === 'loom') {
    if (updown) return { to: null, why: 'loom naming has no .up/.down files' };
    if (digits.replace(/^0+(?=\d)/, '').length > width) return { to: null, why: `its number has more digits than the folder's ${width}` };
    to = scheme.format(number, width, slug, 'plain');
  } else if (scheme.id === 'sqlx') {
    kind = updown === '.up' ? 'up' : updown === '.down' ? 'down' : 'plain';
    to = scheme.format(number, digits.length, slug, kind);
  } else {
    if (updown) return { to: null, why: 'refinery has no .up/.down files' };
    kind = (m[1] ?? 'V').toUpperCase() === 'U' ? 'unversioned' : 'plain';
    to = scheme.format(number, digits.length, slug, kind);
  }
  const holder = kind === 'down' ? undefined : taken.get(number);
  if (holder) return { to: null, why: `its number ${digits} is taken by ${holder.name}` };
  return { to, why: '' };
}

/** Which files each problem concerns, to tell naming problems from emptiness when comparing schemes. */
interface Judged {
  findings: Finding[];
  /** Files with a naming or numbering finding. */
  misnamed: Set<string>;
  migrations: Migration[];
  width: number;
  /** Files that look like migrations. */
  candidates: number;
}

function judge(files: SqlFile[], scheme: Scheme, gaps: boolean, isChanged: (path: string) => boolean): Judged {
  const findings: Finding[] = [];
  const misnamed = new Set<string>();
  const error = (file: string, message: string, rename?: string) => {
    misnamed.add(file);
    findings.push({ rule: 'names', file, message, severity: 'error', ...(rename ? { rename } : {}) });
  };
  const migrations: Migration[] = [];
  const stray: SqlFile[] = [];
  let candidates = 0;
  for (const file of files) {
    if (!looksLikeMigration(file.path)) continue;
    candidates++;
    const m = parseMigrationName(file.path, scheme);
    if (m) migrations.push(m);
    else stray.push(file);
  }
  const sorted = byVersion(migrations);
  // refinery's width is the folder's habit (V1__ or V001__); an empty refinery folder starts at V1.
  const width = scheme.fixedWidth || sorted.length ? folderWidth(sorted) : 1;
  const valid = sorted.filter((m) => !scheme.max || m.number <= scheme.max.value);
  const highest = valid.length ? (valid[valid.length - 1] as Migration) : null;
  // New numbers go above every file, strays included: a stray keeps its own number when renamed.
  const strayNumbers = stray
    .map((f) => /^[UuVv]?(\d+)/.exec(baseName(f.path))?.[1])
    .filter((d): d is string => d !== undefined)
    .map((d) => BigInt(d))
    .filter((n) => !scheme.max || n <= scheme.max.value);
  let next = [highest?.number ?? 0n, ...strayNumbers].reduce((a, b) => (b > a ? b : a)) + 1n;
  /** A free number above every migration, formatted like the file it is for. */
  const nextName = (m: Migration, kind: MigrationKind = m.kind) => {
    const w = scheme.id === 'sqlx' ? Math.max(m.digits.length <= 19 ? m.digits.length : 0, highest?.digits.length ?? 0) : width;
    return scheme.format(next++, w, m.slug, kind);
  };
  const applied = sorted.filter(isApplied);
  const taken = new Map(applied.map((m) => [m.number, m]));

  for (const file of stray) {
    const name = baseName(file.path);
    const r = renameStray(name, scheme, width, taken);
    if (r.to) error(file.path, `name does not match ${scheme.pattern} (rename it to ${r.to})`, r.to);
    else error(file.path, `name does not match ${scheme.pattern}, and ${r.why}: name it by hand as ${scheme.pattern}`);
  }
  for (const m of sorted) {
    if (scheme.max && m.number > scheme.max.value) {
      const to = nextName(m);
      error(m.path, `version ${m.digits} is too large (${scheme.max.what}): renumber it (rename it to ${to})`, to);
    } else if (scheme.id === 'sqlx' && !m.slug.trim()) {
      error(m.path, `has no description after ${m.digits}_: name it ${m.digits}_<description>${m.kind === 'plain' ? '' : `.${m.kind}`}.sql`);
    } else if (scheme.fixedWidth && m.digits.length !== width) {
      if (String(m.number).length > width) {
        error(m.path, `number ${m.digits} is wider than the ${width} digits of the rest of the folder, and does not fit in ${width}: renumber it by hand`);
      } else {
        const holder = applied.find((x) => x.number === m.number && x !== m);
        if (holder) {
          const to = nextName(m);
          error(m.path, `number ${m.digits} is not ${width} digits wide like the rest of the folder, and ${pad(m.number, width)} is ${holder.name}: renumber it (rename it to ${to})`, to);
        } else {
          const to = scheme.format(m.number, width, m.slug, m.kind);
          error(m.path, `number ${m.digits} is not ${width} digits wide like the rest of the folder (rename it to ${to})`, to);
        }
      }
    }
  }

  // One version, one applied file (sqlx: one .up or plain file; refinery: one V or U file).
  const byNumber = new Map<bigint, Migration[]>();
  for (const m of applied) byNumber.set(m.number, [...(byNumber.get(m.number) ?? []), m]);
  const downs = new Map<bigint, Migration[]>();
  for (const m of sorted) if (m.kind === 'down') downs.set(m.number, [...(downs.get(m.number) ?? []), m]);
  for (const same of byNumber.values()) {
    if (same.length < 2) continue;
    // The file already there keeps its number; the one this change brings is told to move. A file
    // already told a new name (a wrong width) moves first, and is not told a second name.
    const weight = (m: Migration) => Number(isChanged(m.path)) + 2 * Number(misnamed.has(m.path));
    same.sort((a, b) => weight(a) - weight(b));
    for (const m of same.slice(1)) {
      if (misnamed.has(m.path)) continue;
      const to = nextName(m);
      error(m.path, `number ${m.digits} is used twice (also ${same[0]?.name}): give it the next free number (rename it to ${to})`, to);
    }
  }
  for (const [number, list] of downs) {
    const up = byNumber.get(number)?.find((m) => m.kind === 'up');
    if (!up) {
      const plain = byNumber.get(number)?.[0];
      const why = plain ? `${plain.name} is not an .up.sql file` : `there is no ${list[0]?.digits}_*.up.sql`;
      for (const d of list) error(d.path, `is a down migration without an up (${why}): add the up migration or remove this file`);
      continue;
    }
    const keep = [...list].sort((a, b) => Number(isChanged(a.path)) - Number(isChanged(b.path)));
    for (const d of keep.slice(1)) error(d.path, `is a second down migration for ${up.name} (also ${keep[0]?.name}): each up has at most one down, remove one`);
  }

  if (!gaps) {
    const numbers = [...byNumber.keys()].filter((n) => byNumber.get(n)?.some((m) => m.kind !== 'unversioned')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const versioned = numbers.flatMap((n) => byNumber.get(n) ?? []);
    // Timestamps (12 digits and more: yyyymmddhhmm…) skip numbers by nature: renumbering them would
    // take each file's number from the one before, a chain of renames nobody wants.
    const timestamps = versioned.length > 0 && versioned.every((m) => m.digits.length >= 12);
    // A folder that pads (V001__, 0001_) keeps its padding; one that does not (V1__…V8__) gets V9__.
    const padded = versioned.filter((m) => m.digits.length > 1 && m.digits.startsWith('0'));
    const folderPad = padded.length ? Math.max(...padded.map((m) => m.digits.length)) : 1;
    /** What the previous file is (or is told to become), so that the renames chain. */
    let previous: bigint | null = null;
    for (let i = 1; i < numbers.length; i++) {
      const prev = numbers[i - 1] as bigint;
      const n = numbers[i] as bigint;
      const chainFrom: bigint = previous ?? prev;
      previous = null;
      if (n <= prev + 1n && n <= chainFrom + 1n) continue;
      const after = byNumber.get(n)?.[0] as Migration;
      const before = byNumber.get(prev)?.[0] as Migration;
      const w = scheme.fixedWidth ? width : folderPad;
      if (timestamps) {
        if (n > prev + 1n) error(after.path, `numbering has a gap: ${before.name} and ${after.name} are not consecutive (timestamped versions skip numbers by nature: set "gaps": true)`);
        continue;
      }
      const missing = n - prev === 2n ? pad(prev + 1n, w) : n > prev + 1n ? `${pad(prev + 1n, w)} to ${pad(n - 1n, w)}` : null;
      const to = scheme.format(chainFrom + 1n, w, after.slug, after.kind);
      previous = chainFrom + 1n;
      if (missing === null) {
        // No gap of its own: the file before it is told to move down, so it moves after it.
        error(after.path, `numbering has a gap once ${before.name} is renumbered: rename it to ${to} as well, or set "gaps": true`, to);
      } else {
        error(after.path, `numbering has a gap: no ${missing} between ${before.name} and ${after.name} (renumber it: rename it to ${to}, or set "gaps": true)`, to);
      }
    }
  }
  for (const file of files) {
    if (!looksLikeMigration(file.path)) continue;
    const m = parseMigrationName(file.path, scheme);
    // A down file that does nothing is a fine "irreversible" marker; it never runs on apply.
    if (m?.kind === 'down') continue;
    if (file.content.trim() === '') findings.push({ rule: 'names', file: file.path, message: 'file is empty: write the migration or remove the file', severity: 'error' });
    else if (hasNoStatements(file.content)) findings.push({ rule: 'names', file: file.path, message: 'file holds only comments, no SQL statement: write the migration or remove the file', severity: 'error' });
  }
  return { findings, misnamed, migrations: sorted, width, candidates };
}

export interface NamesOptions {
  scheme?: NamingScheme;
  /** Config `gaps`: null or absent means the scheme's default. */
  gaps?: boolean | null;
  /** Which files the change touches: of two files sharing a number, the one it touches is blamed. */
  isChanged?: (path: string) => boolean;
}

export interface NamesResult {
  /** Migrations well named under the scheme, ascending by version then name (sqlx downs included). */
  migrations: Migration[];
  width: number;
  findings: Finding[];
  /** Another scheme the folder's files follow better than the configured one, or null. */
  betterScheme: NamingScheme | null;
}

/** Names, width, uniqueness, up/down pairs, gaps and emptiness of the files directly in one folder. */
export function checkNames(files: SqlFile[], options: NamesOptions | ((path: string) => boolean) = {}): NamesResult {
  const o: NamesOptions = typeof options === 'function' ? { isChanged: options } : options;
  const scheme = schemeOf(o.scheme);
  const isChanged = o.isChanged ?? (() => false);
  const gaps = o.gaps ?? scheme.gapsByDefault;
  const active = judge(files, scheme, gaps, isChanged);
  let betterScheme: NamingScheme | null = null;
  if (active.misnamed.size) betterScheme = betterSchemeFor(files, scheme.id, active);
  return { migrations: active.migrations, width: active.width, findings: active.findings, betterScheme };
}

/**
 * The scheme under which most of the folder's files are well named and numbered, when most of
 * them are not under the configured one: a folder of sqlx timestamps judged as loom is one block
 * per gap, and the fix is one config line.
 */
const wellNamed = (j: Judged) => j.migrations.filter((m) => !j.misnamed.has(m.path)).length;

function betterSchemeFor(files: SqlFile[], active: NamingScheme, judged: Judged): NamingScheme | null {
  let best: NamingScheme | null = null;
  let bestClean = wellNamed(judged);
  // Most files must be at fault first: sqlx accepts every loom name, so a loom folder with one
  // slip is not a sqlx folder.
  if (bestClean * 2 >= judged.candidates) return null;
  for (const id of NAMING_SCHEMES) {
    if (id === active) continue;
    const other = judge(files, SCHEMES[id], SCHEMES[id].gapsByDefault, () => false);
    const clean = wellNamed(other);
    if (clean > bestClean && clean * 2 >= judged.candidates) {
      best = id;
      bestClean = clean;
    }
  }
  return best;
}
