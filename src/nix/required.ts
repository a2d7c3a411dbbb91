import { parse } from 'smol-toml';
import { packageKey } from './cargoLock.js';

/*
 * Which crates missing from a Cargo.nix without lock hash a build provably needs. Cargo.lock
 * records every dependency edge but not whether it is optional; the manifests say that. A crate
 * is required when a workspace crate (a path package of the lock whose Cargo.toml we have) lists
 * it in [dependencies] or [build-dependencies], not optional and not under [target.*], and the
 * lock records that edge; and, through such crates whose Cargo.toml we also have, onwards.
 * Anything less certain (dev-dependencies, target-specific or optional ones, registry crates whose
 * manifests are not here, an edge the lock spells ambiguously) is left to the warning.
 */

export interface ManifestText {
  /** Repository-relative path of the Cargo.toml. */
  path: string;
  text: string;
}

export interface RequiredCrate {
  /** `name version`, as packageKey spells it. */
  key: string;
  /** The workspace crate whose manifest makes it required, and the chain from it. */
  chain: string[];
  /** The manifest and table that list the first step, e.g. `crates/app/Cargo.toml [dependencies] sha2`. */
  via: string;
}

interface LockEntry {
  name: string;
  version: string;
  source: string | null;
  dependencies: string[];
}

type Table = Record<string, unknown>;
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v);

function lockEntries(lockText: string): LockEntry[] | null {
  let doc: Table;
  try {
    doc = parse(lockText) as Table;
  } catch {
    return null;
  }
  const packages = Array.isArray(doc.package) ? doc.package : [];
  const out: LockEntry[] = [];
  for (const p of packages) {
    if (!isTable(p) || typeof p.name !== 'string' || typeof p.version !== 'string') continue;
    const deps = Array.isArray(p.dependencies) ? p.dependencies.filter((d): d is string => typeof d === 'string') : [];
    out.push({ name: p.name, version: p.version, source: typeof p.source === 'string' ? p.source : null, dependencies: deps });
  }
  return out;
}

/** The crates a manifest needs whatever the features: [dependencies] and [build-dependencies], not optional. */
function mandatoryDeps(manifest: Table, workspaceDeps: Table): Array<{ name: string; table: string; key: string }> {
  const out: Array<{ name: string; table: string; key: string }> = [];
  for (const table of ['dependencies', 'build-dependencies', 'build_dependencies']) {
    const deps = manifest[table];
    if (!isTable(deps)) continue;
    for (const [key, spec] of Object.entries(deps)) {
      if (isTable(spec) && spec.optional === true) continue;
      let real = key;
      if (isTable(spec) && typeof spec.package === 'string') real = spec.package;
      else if (isTable(spec) && spec.workspace === true) {
        const inherited = workspaceDeps[key];
        if (isTable(inherited) && typeof inherited.package === 'string') real = inherited.package;
        // `optional` is the member's to say; a workspace entry cannot make it optional.
      }
      out.push({ name: real, table: table.replace('_', '-'), key });
    }
  }
  return out;
}

/** The lock entry a dependency string (`name`, `name version`, `name version (source)`) names, or null. */
function resolveEdge(edge: string, byName: Map<string, LockEntry[]>): LockEntry | null {
  const [name, version] = edge.split(' ');
  const candidates = byName.get(name ?? '') ?? [];
  if (version === undefined) return candidates.length === 1 ? candidates[0]! : null;
  const matching = candidates.filter((c) => c.version === version);
  return matching.length === 1 ? matching[0]! : null;
}

/**
 * The crates of `missing` (packageKey form) that the workspace provably needs, in the order found.
 * `manifests` are the Cargo.toml files of the state judged (the root one for [workspace.dependencies]).
 */
export function requiredMissing(lockText: string, missing: string[], manifests: ManifestText[]): RequiredCrate[] {
  if (!missing.length || !manifests.length) return [];
  const entries = lockEntries(lockText);
  if (entries === null) return [];
  const byName = new Map<string, LockEntry[]>();
  for (const e of entries) byName.set(e.name, [...(byName.get(e.name) ?? []), e]);
  const parsed = new Map<string, { path: string; doc: Table }>();
  let workspaceDeps: Table = {};
  for (const m of manifests) {
    let doc: Table;
    try {
      doc = parse(m.text) as Table;
    } catch {
      continue; // a broken manifest is reported elsewhere; it proves nothing here
    }
    const ws = doc.workspace;
    if (m.path === 'Cargo.toml' && isTable(ws) && isTable(ws.dependencies)) workspaceDeps = ws.dependencies;
    const pkg = doc.package;
    if (isTable(pkg) && typeof pkg.name === 'string' && !parsed.has(pkg.name)) parsed.set(pkg.name, { path: m.path, doc });
  }
  const wanted = new Set(missing);
  const found = new Map<string, RequiredCrate>();
  // Breadth first from every path package whose manifest we have.
  const queue: Array<{ entry: LockEntry; chain: string[] }> = entries
    .filter((e) => e.source === null && parsed.has(e.name))
    .map((entry) => ({ entry, chain: [entry.name] }));
  const seen = new Set(queue.map((q) => packageKey(q.entry)));
  while (queue.length) {
    const { entry, chain } = queue.shift()!;
    const manifest = parsed.get(entry.name);
    if (!manifest) continue;
    const edges = entry.dependencies.map((d) => resolveEdge(d, byName));
    for (const dep of mandatoryDeps(manifest.doc, workspaceDeps)) {
      const targets = edges.filter((e): e is LockEntry => e !== null && e.name === dep.name);
      // Two locked versions under one name: which one the manifest means is not certain.
      if (targets.length !== 1) continue;
      const target = targets[0]!;
      const key = packageKey(target);
      if (wanted.has(key) && !found.has(key)) {
        found.set(key, { key, chain: [...chain, target.name], via: `${manifest.path} [${dep.table}] ${dep.key}` });
      }
      if (!seen.has(key) && target.source === null && parsed.has(target.name)) {
        seen.add(key);
        queue.push({ entry: target, chain: [...chain, target.name] });
      }
    }
  }
  return [...found.values()];
}
