import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join, relative, sep, dirname } from 'node:path';
import { GuardError } from '../errors.js';
import { gitText } from '../git.js';
import { run } from '../proc.js';
import { guardDir } from '../isolate/backup.js';
import { writeDurable } from '../isolate/journal.js';

/** A workspace member: its package name and folder (repo-relative POSIX, '' for the root). */
export interface WorkspaceCrate {
  name: string;
  dir: string;
  /** The workspace members it depends on (normal, dev and build dependencies), by package name. */
  deps?: string[];
}

/** Which crates a change touches: the whole workspace, some crates, or none. */
export interface CrateSelection {
  workspace: boolean;
  crates: string[];
  /** For the whole workspace: why (`Cargo.lock changed`); otherwise why crates beyond the staged ones were added. */
  because?: string;
}

/** Root-level files that affect how every crate builds, lints or formats. */
export const WORKSPACE_FILES = new Set([
  'Cargo.toml',
  'Cargo.lock',
  'rust-toolchain',
  'rust-toolchain.toml',
  '.cargo/config',
  '.cargo/config.toml',
  'clippy.toml',
  '.clippy.toml',
  'rustfmt.toml',
  '.rustfmt.toml',
]);

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

/**
 * Maps changed paths to crates: a root-level workspace file means every crate; any other file
 * under a member's folder (sources, its Cargo.toml, include_str! resources such as migrations)
 * means that member, the deepest one when members nest.
 */
export function selectCrates(paths: string[], members: WorkspaceCrate[]): CrateSelection {
  const byDepth = [...members].sort((a, b) => b.dir.length - a.dir.length);
  const picked = new Set<string>();
  for (const path of paths) {
    if (WORKSPACE_FILES.has(path)) {
      return { workspace: true, crates: members.map((m) => m.name).sort(), because: `${path} changed` };
    }
    const owner = byDepth.find((m) => under(path, m.dir));
    if (owner) picked.add(owner.name);
  }
  return { workspace: false, crates: [...picked].sort() };
}

/** The Cargo.toml files in the index, their blob ids, and the key they make. */
export interface ManifestIndex {
  /** Folders holding a Cargo.toml ('' for the root). */
  dirs: string[];
  hasRoot: boolean;
  /** sha256 over every Cargo.toml path and blob id: changes exactly when a manifest's content does. */
  key: string;
}

export async function indexManifests(root: string): Promise<ManifestIndex> {
  const out = await gitText(root, ['ls-files', '-s', '-z', '--', 'Cargo.toml', ':(glob)**/Cargo.toml']);
  const entries = out.split('\0').filter(Boolean).sort();
  const dirs: string[] = [];
  for (const line of entries) {
    const path = line.slice(line.indexOf('\t') + 1);
    dirs.push(path === 'Cargo.toml' ? '' : path.slice(0, -'/Cargo.toml'.length));
  }
  return { dirs, hasRoot: dirs.includes(''), key: createHash('sha256').update(entries.join('\0')).digest('hex') };
}

/**
 * Cheap test, with no cargo process, of whether a change can concern cargo at all: a workspace
 * file, or a file under a folder holding a Cargo.toml other than the root's (the root package, if
 * any, is taken care of by the member list from cargo metadata).
 */
export function mayConcernCargo(paths: string[], manifests: ManifestIndex, rootIsPackage: boolean): boolean {
  if (!manifests.hasRoot) return false;
  const dirs = manifests.dirs.filter((d) => d !== '');
  return paths.some((p) => WORKSPACE_FILES.has(p) || rootIsPackage || dirs.some((d) => under(p, d)));
}

interface CacheFile {
  key: string;
  members: WorkspaceCrate[];
}

const cachePath = (gitDir: string) => join(guardDir(gitDir), 'crates.json');

export async function readCachedMembers(gitDir: string, key: string): Promise<WorkspaceCrate[] | null> {
  const text = await readFile(cachePath(gitDir), 'utf8').catch(() => null);
  if (!text) return null;
  try {
    const cache = JSON.parse(text) as CacheFile;
    return cache.key === key && Array.isArray(cache.members) ? cache.members : null;
  } catch {
    return null;
  }
}

export async function writeCachedMembers(gitDir: string, key: string, members: WorkspaceCrate[]): Promise<void> {
  await mkdir(guardDir(gitDir), { recursive: true });
  const cache: CacheFile = { key, members };
  await writeDurable(cachePath(gitDir), JSON.stringify(cache));
}

/** Parses `cargo metadata --no-deps --format-version 1` into members relative to `root`. */
export function parseMetadata(json: string, root: string): WorkspaceCrate[] {
  const data = JSON.parse(json) as {
    packages: Array<{ id: string; name: string; manifest_path: string; dependencies?: Array<{ name: string; path?: string }> }>;
    workspace_members: string[];
  };
  const members = new Set(data.workspace_members);
  const packages = data.packages.filter((p) => members.has(p.id));
  const names = new Set(packages.map((p) => p.name));
  return packages
    .map((p) => ({
      name: p.name,
      dir: relative(root, dirname(p.manifest_path)).split(sep).join('/'),
      // A path dependency on a member (a registry crate of the same name has no path).
      deps: [...new Set((p.dependencies ?? []).filter((d) => d.path !== undefined && names.has(d.name)).map((d) => d.name))].sort(),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export class MetadataError extends Error {
  constructor(readonly output: string) {
    super('cargo metadata failed');
  }
}

export async function cargoMetadata(root: string): Promise<WorkspaceCrate[]> {
  let result;
  try {
    result = await run('cargo', ['metadata', '--no-deps', '--format-version', '1', '--offline'], { cwd: root });
  } catch (error) {
    throw new GuardError(`cargo could not be started (${(error as Error).message}): install Rust (https://rustup.rs) or skip with LOOM_GUARD_SKIP=fmt,clippy,build`);
  }
  if (result.exitCode !== 0) throw new MetadataError(result.stderr.toString('utf8'));
  return parseMetadata(result.stdout.toString('utf8'), root);
}

/** Members from the cache when the manifests are unchanged, else from cargo metadata (then cached). */
export async function workspaceMembers(root: string, gitDir: string, key: string): Promise<WorkspaceCrate[]> {
  const cached = await readCachedMembers(gitDir, key);
  if (cached) return cached;
  const members = await cargoMetadata(root);
  await writeCachedMembers(gitDir, key, members).catch(() => {
    /* a read-only git dir costs a cargo metadata next time, nothing more */
  });
  return members;
}
