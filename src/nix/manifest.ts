import { parseToml } from './toml.js';

/*
 * What cargo2nix bakes into Cargo.nix from a Cargo.toml, compared on parsed TOML so that comments,
 * whitespace, key order and metadata (description, authors, …) never count. A change to any of
 * these needs a regenerated Cargo.nix:
 *   package name and version; every dependency table (normal, dev, build; also under
 *   target.'<cfg>'), including renames (`package = …`); [features]; [patch]/[replace];
 *   workspace members/exclude/dependencies and the inherited workspace.package.version;
 *   [profile.*] of the root manifest (cargo ignores profiles anywhere else).
 */

const DEP_TABLES = ['dependencies', 'dev-dependencies', 'build-dependencies', 'dev_dependencies', 'build_dependencies'];

type Table = Record<string, unknown>;

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** A key path as written in TOML: bare segments as they are, anything else quoted. */
export function formatKey(path: string[]): string {
  return path.map((s) => (/^[A-Za-z0-9_-]+$/.test(s) ? s : `'${s.replace(/'/g, "\\'")}'`)).join('.');
}

/** Stable text of a TOML value: key order does not matter, dates compare by their text. */
function canonical(value: unknown): string {
  if (value === undefined) return '';
  if (value instanceof Date) return JSON.stringify(value.toString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isTable(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Each entry of a table as its own baked key (`dependencies.serde`). */
function entries(into: Map<string, string>, prefix: string[], table: unknown): void {
  if (!isTable(table)) {
    if (table !== undefined) into.set(formatKey(prefix), canonical(table));
    return;
  }
  for (const [k, v] of Object.entries(table)) into.set(formatKey([...prefix, k]), canonical(v));
}

/** Every leaf under a table as its own key (`profile.dev-fast.debug`). */
function leaves(into: Map<string, string>, prefix: string[], value: unknown): void {
  if (isTable(value)) {
    for (const [k, v] of Object.entries(value)) leaves(into, [...prefix, k], v);
  } else if (value !== undefined) {
    into.set(formatKey(prefix), canonical(value));
  }
}

/** The baked keys of a parsed manifest, key to canonical value. */
export function bakedKeys(doc: Table, isRoot: boolean): Map<string, string> {
  const keys = new Map<string, string>();
  const pkg = isTable(doc.package) ? doc.package : isTable(doc.project) ? doc.project : undefined;
  if (pkg) {
    if (pkg.name !== undefined) keys.set('package.name', canonical(pkg.name));
    if (pkg.version !== undefined) keys.set('package.version', canonical(pkg.version));
  }
  for (const t of DEP_TABLES) entries(keys, [t], doc[t]);
  if (isTable(doc.target)) {
    for (const [cfg, spec] of Object.entries(doc.target)) {
      if (!isTable(spec)) continue;
      for (const t of DEP_TABLES) entries(keys, ['target', cfg, t], spec[t]);
    }
  }
  entries(keys, ['features'], doc.features);
  if (isTable(doc.patch)) for (const [reg, deps] of Object.entries(doc.patch)) entries(keys, ['patch', reg], deps);
  entries(keys, ['replace'], doc.replace);
  const ws = doc.workspace;
  if (isTable(ws)) {
    if (ws.members !== undefined) keys.set('workspace.members', canonical(ws.members));
    if (ws.exclude !== undefined) keys.set('workspace.exclude', canonical(ws.exclude));
    entries(keys, ['workspace', 'dependencies'], ws.dependencies);
    if (isTable(ws.package) && ws.package.version !== undefined) keys.set('workspace.package.version', canonical(ws.package.version));
  }
  if (isRoot) leaves(keys, ['profile'], doc.profile);
  return keys;
}

const MANIFEST_FIX = 'fix the TOML and stage it again';

/**
 * The baked keys that differ between two versions of a Cargo.toml (null = the file does not exist
 * on that side), in the order they appear. `isRoot` is the workspace root manifest.
 */
export function bakedManifestChanges(oldText: string | null, newText: string | null, file: string, isRoot: boolean): string[] {
  // A broken old version (fixed by this change) counts as "every key changed", not as an error.
  let before = new Map<string, string>();
  if (oldText !== null) {
    try {
      before = bakedKeys(parseToml(oldText, file, MANIFEST_FIX), isRoot);
    } catch {
      before = new Map();
    }
  }
  const after = newText === null ? new Map<string, string>() : bakedKeys(parseToml(newText, file, MANIFEST_FIX), isRoot);
  const changed: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) changed.push(k);
  for (const k of before.keys()) if (!after.has(k)) changed.push(k);
  return changed;
}
