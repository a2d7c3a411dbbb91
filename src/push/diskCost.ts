import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ownerAlive, pushTreeRoots } from './pushTree.js';
import { SHARED_MANIFEST } from './warmTarget.js';

/*
 * What the private checkouts cost on disk, and `loom-guard cache prune`, which removes them (each
 * holds a checkout and its own target folder; the next push that needs one starts it again, warm
 * from the repository's target/). One whose run is alive (its lock's owner) is left alone.
 */

/** Bytes on disk under `path` (allocated blocks, symlinks not followed); 0 when it is not there. */
export async function diskUsage(path: string): Promise<number> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return 0;
  }
  let total = st.blocks * 512;
  if (st.isDirectory()) {
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) total += await diskUsage(join(path, name));
  }
  return total;
}

/**
 * After a passed run in the private checkout under pushScope "affected": the executables that run
 * linked in `<target>/debug/deps` (the workspace's test harnesses, bins and examples: files without
 * an extension; third-party crates have none there, their build scripts live in build/) are
 * removed. They are the largest files a run leaves, and the next push cannot reuse them: its base
 * is the tree that just passed, so every crate it tests changed since and is linked again. Cargo
 * counts a missing output as stale, so one that is needed after all (a crate the next push proves
 * unchanged but tests anyway) is rebuilt, never trusted. Returns the bytes freed.
 */
export async function dropLinkedExecutables(target: string): Promise<number> {
  const deps = join(target, 'debug', 'deps');
  let freed = 0;
  for (const name of await readdir(deps).catch(() => [] as string[])) {
    if (name.includes('.')) continue;
    const st = await lstat(join(deps, name)).catch(() => null);
    if (!st?.isFile() || !(st.mode & 0o111)) continue;
    await rm(join(deps, name), { force: true });
    // A bin's second name (uplifted into debug/) keeps the file: only the last name frees it.
    if (st.nlink === 1) freed += st.blocks * 512;
  }
  return freed;
}

/** `412 MB`, `1.3 GB`, `12 kB` (powers of 1024, as du -h). */
export function humanBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GB`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)} MB`;
  return `${Math.round(bytes / 2 ** 10)} kB`;
}

/** Every private checkout folder on this machine for this user (both possible roots). */
export async function privateCheckouts(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const found: string[] = [];
  for (const root of pushTreeRoots(env)) {
    for (const name of await readdir(root).catch(() => [] as string[])) {
      const base = join(root, name);
      if ((await lstat(base).catch(() => null))?.isDirectory()) found.push(base);
    }
  }
  return found;
}

export interface PruneResult {
  removed: string[];
  /** Folders left because a run is using them. */
  busy: string[];
  freed: number;
}

export async function pruneCheckouts(env: NodeJS.ProcessEnv = process.env): Promise<PruneResult> {
  const result: PruneResult = { removed: [], busy: [], freed: 0 };
  for (const base of await privateCheckouts(env)) {
    const lock = await readFile(join(base, 'lock'), 'utf8').catch(() => null);
    if (lock !== null && (await ownerAlive(lock)).alive) {
      result.busy.push(base);
      continue;
    }
    const size = await diskUsage(base);
    await rm(base, { recursive: true, force: true });
    result.removed.push(base);
    result.freed += size;
  }
  return result;
}

/**
 * Doctor's one line on the private checkout of this repository: what it costs beside the
 * repository's own target/, or that there is none.
 */
export async function diskCostLine(base: string, userTarget: string): Promise<string> {
  const [mine, theirs, shared] = await Promise.all([diskUsage(base), diskUsage(userTarget), sharedBytes(join(base, 'target'))]);
  if (!mine) return 'pre-push private checkout: none yet (pushes so far ran in place, or none ran)';
  const share = theirs ? ` (${Math.round((100 * mine) / theirs)}% of target/, ${humanBytes(theirs)})` : '';
  const linked = shared ? `, besides ${humanBytes(shared)} of target/'s third-party libraries it uses through symlinks` : '';
  return `pre-push private checkout: ${humanBytes(mine)} in ${base}${share}${linked}; loom-guard cache prune frees it`;
}

/** The bytes of the user's files the private target still reaches through its symlinks (warmTarget.ts). */
async function sharedBytes(target: string): Promise<number> {
  const manifest = await readFile(join(target, SHARED_MANIFEST), 'utf8').then((t) => JSON.parse(t) as Record<string, { size?: number }>, () => null);
  if (!manifest) return 0;
  let total = 0;
  for (const [rel, entry] of Object.entries(manifest)) {
    if ((await lstat(join(target, rel)).catch(() => null))?.isSymbolicLink()) total += entry.size ?? 0;
  }
  return total;
}
