import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { gitText, BlobReader, type RepoPaths } from '../git.js';
import type { MirrorLink } from './pushTree.js';
import { isWithin } from './pushTree.js';

/*
 * Path dependencies that leave the repository (`path = "../sibling"`). A fresh clone next to the
 * real checkout resolves them to the real sibling folders, so the private checkout must too (through
 * symlinks in the folders above it, see pushTree.ts), and since their content is not part of the
 * pushed tree, a cached verdict holds only while they are unchanged (a stat fingerprint, the same
 * signal cargo itself rebuilds on).
 */

/** Tables whose entries may carry a `path` to another package. */
const DEP_TABLES = new Set(['dependencies', 'dev-dependencies', 'build-dependencies', 'dev_dependencies', 'build_dependencies', 'patch', 'replace']);

/**
 * Every folder a manifest points at, relative to its own folder: the `path` of any dependency
 * (of every kind, under `target.*` and `workspace` too), `[patch]` and `[replace]` entry, the
 * workspace members, and package.workspace.
 */
export function manifestPaths(doc: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string, inDeps: boolean) => {
    if (typeof value === 'string') {
      if (inDeps && key === 'path') found.push(value);
      return;
    }
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, k, inDeps || DEP_TABLES.has(k));
    }
  };
  walk(doc, '', false);
  const d = doc as { workspace?: { members?: unknown }; package?: { workspace?: unknown } };
  const members = Array.isArray(d?.workspace?.members) ? d.workspace.members : [];
  for (const m of members) {
    // A glob member (`../libs/*`): the folder before the first wildcard is what must be reachable.
    if (typeof m !== 'string') continue;
    const glob = m.search(/[*?[]/);
    found.push(glob < 0 ? m : m.slice(0, glob).replace(/[^/]*$/, '') || '.');
  }
  if (typeof d?.package?.workspace === 'string') found.push(d.package.workspace);
  return [...new Set(found)];
}

export interface Externals {
  /** Real folders outside the repository that the build reads, sorted. */
  dirs: string[];
  /** The symlinks the mirror needs so that they resolve from the private checkout. */
  links: MirrorLink[];
  /** Why some cannot be checked from a private checkout (a dependency that contains the repository). */
  problems: string[];
}

/** The top folder of `target` that is not an ancestor of `root`, and that ancestor. */
function linkFor(root: string, target: string): { parent: string; name: string } {
  let parent = dirname(target);
  let name = basename(target);
  while (!isWithin(parent, root)) {
    name = basename(parent);
    parent = dirname(parent);
  }
  return { parent, name };
}

/** Finds the external path dependencies of `tree` (and theirs, read from disk). */
export async function findExternals(paths: RepoPaths, realRoot: string, mirror: string, tree: string): Promise<Externals> {
  const listing = await gitText(paths.root, ['ls-tree', '-r', '-z', '--name-only', tree]);
  const manifests = listing.split('\0').filter((p) => p === 'Cargo.toml' || p.endsWith('/Cargo.toml'));
  const empty: Externals = { dirs: [], links: [], problems: [] };
  if (!manifests.length) return empty;
  const { parse } = await import('smol-toml');
  const parsed = (text: string | null): unknown => {
    if (text === null) return null;
    try {
      return parse(text);
    } catch {
      return null; // a broken manifest is cargo's to report
    }
  };
  const queue: Array<{ dir: string; doc: unknown; from: string }> = [];
  const reader = new BlobReader(paths.root);
  try {
    for (const m of manifests) {
      queue.push({ dir: join(realRoot, dirname(m)), doc: parsed(await reader.readText({ kind: 'commit', rev: tree }, m)), from: m });
    }
  } finally {
    reader.close();
  }
  const dirs = new Set<string>();
  const problems: string[] = [];
  while (queue.length) {
    const { dir, doc, from } = queue.shift() as (typeof queue)[number];
    for (const p of manifestPaths(doc)) {
      const target = resolve(dir, p);
      if (isWithin(realRoot, target) || dirs.has(target)) continue;
      if (isWithin(target, realRoot)) {
        problems.push(`${from}: path "${p}" contains the repository itself`);
        continue;
      }
      dirs.add(target);
      const text = await readFile(join(target, 'Cargo.toml'), 'utf8').catch(() => null);
      if (text !== null) queue.push({ dir: target, doc: parsed(text), from: join(target, 'Cargo.toml') });
    }
  }
  const links = new Map<string, MirrorLink>();
  for (const target of dirs) {
    const { parent, name } = linkFor(realRoot, target);
    const at = join(mirror, parent, name);
    links.set(at, { at, to: join(parent, name) });
  }
  return { dirs: [...dirs].sort(), links: [...links.values()], problems };
}

/** Beyond this many files an external folder is not fingerprinted and the verdict is not cached. */
const MAX_FILES = 20_000;

/**
 * A fingerprint of the external folders (relative to the repository, so it survives nothing
 * moving): every file's path, size, mode and mtime, `target` and `.git` left out. Null when too
 * big to take.
 */
export async function externalsFingerprint(realRoot: string, rels: string[]): Promise<string | null> {
  const hash = createHash('sha256');
  let files = 0;
  const walk = async (dir: string, rel: string): Promise<boolean> => {
    const names = await readdir(dir).catch(() => null);
    if (names === null) {
      hash.update(`${rel}\0missing\n`);
      return true;
    }
    for (const name of names.sort()) {
      if (name === 'target' || name === '.git') continue;
      const full = join(dir, name);
      const st = await lstat(full).catch(() => null);
      if (!st) continue;
      if (++files > MAX_FILES) return false;
      hash.update(`${rel}${sep}${name}\0${st.mode}\0${st.size}\0${st.mtimeMs}\n`);
      if (st.isDirectory() && !(await walk(full, `${rel}${sep}${name}`))) return false;
    }
    return true;
  };
  for (const rel of rels) {
    hash.update(`@${rel}\n`);
    if (!(await walk(resolve(realRoot, rel), rel))) return null;
  }
  return hash.digest('hex').slice(0, 32);
}

export const relativeTo = (realRoot: string, dirs: string[]): string[] => dirs.map((d) => relative(realRoot, d));
