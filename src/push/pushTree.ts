import { createHash } from 'node:crypto';
import { link, lstat, mkdir, readdir, readFile, readlink, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { GuardError } from '../errors.js';
import { pathExists } from '../fsx.js';
import type { RepoPaths } from '../git.js';
import { run } from '../proc.js';

/*
 * The private checkout the full check runs in when the working tree is not provably the pushed
 * commit. It lives in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, /loom-guard/<key>), so
 * no folder above it belongs to the repository: cargo, rustfmt and clippy, which all search parent
 * folders for their config, find only what is committed plus the user-level config every build on
 * this machine sees. Inside <key>, the checkout sits at fs/<the real path of the worktree>, and the
 * folders above it are ours: a path dependency that leaves the repository (`../sibling`) resolves
 * through a symlink to the real sibling, exactly as it would from the real checkout.
 *
 * It has its own index, is moved from tree to tree with `read-tree --reset -u` (unchanged files
 * keep their mtimes, so cargo with its own persistent target folder rebuilds only what changed),
 * and it is verified against the commit before every use: index equal to the tree, every file equal
 * to the index, nothing else there. The index is trusted only when it is the one the last verified
 * run sealed; anything doubtful is wiped and checked out afresh. Our lock records a pid and the
 * process's start time, so a killed run's lock (or a reused pid) never blocks the next run.
 */

export interface PushTreeLayout {
  /** <cache>/loom-guard/<key>: everything of this worktree's private checkout. */
  base: string;
  /** The checkout itself: <base>/fs/<real path of the worktree>. */
  tree: string;
  /** <base>/fs: the folders above the checkout, which hold only our symlinks. */
  mirror: string;
  /** The worktree's real path, which the checkout mirrors. */
  realRoot: string;
  index: string;
  target: string;
  lock: string;
  /** The sha256 of the index the last verified run left: a differing index is not trusted. */
  seal: string;
  /** The worktree's real path, so that a later run can tell this folder's repository is gone. */
  owner: string;
}

/** The user cache folder: $XDG_CACHE_HOME (when absolute, as the spec asks), else ~/.cache. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return xdg;
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.cache');
}

export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Resolves symlinks in the longest existing prefix of `path`, keeping the part not there yet. */
async function realpathLoose(path: string): Promise<string> {
  const rest: string[] = [];
  let at = path;
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch {
      const up = dirname(at);
      if (up === at) return path;
      rest.push(basename(at));
      at = up;
    }
  }
}

/** Where private checkouts may live: the user cache folder, else (see pushTreeLayout) the temp folder. */
export function pushTreeRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return [join(userCacheDir(env), 'loom-guard'), join(tmpdir(), `loom-guard-${uid}`)];
}

export async function pushTreeLayout(paths: RepoPaths, env: NodeJS.ProcessEnv = process.env): Promise<PushTreeLayout> {
  const realRoot = await realpath(paths.root).catch(() => paths.root);
  const realCommon = await realpath(paths.commonDir).catch(() => paths.commonDir);
  const inside = (dir: string) => isWithin(realRoot, dir) || isWithin(realCommon, dir);
  // A cache folder inside the repository (a home folder kept as a git repository, an
  // XDG_CACHE_HOME pointing into it) would bring back the config leaks: the temp folder instead.
  const candidates = pushTreeRoots(env);
  let root: string | undefined;
  for (const candidate of candidates) {
    if (!inside(await realpathLoose(candidate))) {
      root = candidate;
      break;
    }
  }
  if (!root) {
    throw new GuardError(
      `${candidates[0]}: the pre-push private checkout would be inside the repository ${realRoot}: set XDG_CACHE_HOME to a folder outside it`,
    );
  }
  const name = basename(realRoot).replace(/[^A-Za-z0-9._-]/g, '_') || 'repo';
  const key = `${name}-${createHash('sha256').update(realRoot).digest('hex').slice(0, 12)}`;
  const base = join(root, key);
  const mirror = join(base, 'fs');
  return {
    base,
    mirror,
    realRoot,
    tree: join(mirror, realRoot),
    index: join(base, 'index'),
    target: join(base, 'target'),
    lock: join(base, 'lock'),
    seal: join(base, 'seal'),
    owner: join(base, 'owner'),
  };
}

/** git addressing the private checkout: its own index, none of the caller's git overrides. */
function treeEnv(layout: PushTreeLayout): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_INDEX_FILE: layout.index, GIT_OPTIONAL_LOCKS: '0' };
  for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_PREFIX', 'GIT_COMMON_DIR']) delete env[key];
  return env;
}

async function gitIn(paths: RepoPaths, layout: PushTreeLayout, args: string[], input?: string) {
  // A sparse checkout of the user's repository must not make the private checkout sparse.
  const full = ['--git-dir', paths.gitDir, '--work-tree', layout.tree, '-c', 'core.sparseCheckout=false', ...args];
  return run('git', full, { cwd: layout.tree, env: treeEnv(layout), input });
}

async function gitOk(paths: RepoPaths, layout: PushTreeLayout, args: string[], input?: string): Promise<string> {
  const result = await gitIn(paths, layout, args, input);
  if (result.exitCode !== 0) {
    const message = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new Error(`git ${args[0]} failed in the private checkout (${message})`);
  }
  return result.stdout.toString('utf8');
}

async function sha256File(path: string): Promise<string | null> {
  const data = await readFile(path).catch(() => null);
  return data === null ? null : createHash('sha256').update(data).digest('hex');
}

/** Moves the checkout to `tree`: rewrites what differs, puts back what drifted, removes extras. */
async function checkout(paths: RepoPaths, layout: PushTreeLayout, tree: string): Promise<void> {
  await mkdir(layout.tree, { recursive: true });
  // --reset rather than -m: a file a build script rewrote in the checkout must not stop the move.
  await gitOk(paths, layout, ['read-tree', '--reset', '-u', tree]);
  // read-tree trusts the index for files that did not change between trees; anything edited or
  // deleted behind its back (a build script, a curious user) is found by stat and put back.
  await gitIn(paths, layout, ['update-index', '-q', '--refresh']);
  const drift = await gitOk(paths, layout, ['diff-files', '--name-only', '-z']);
  if (drift) await gitOk(paths, layout, ['checkout-index', '-f', '-z', '--stdin'], drift);
  // Files no index entry knows (left by a lost index, written by a build script), ignored ones and
  // nested repositories included: a fresh clone has none of them.
  await gitOk(paths, layout, ['clean', '-ffdxq']);
}

/**
 * After the checkout's files were given other modification times (alignMtimes.ts): its index
 * learns their new stat data, or the next move (`read-tree --reset -u` trusts stat data) would
 * take them for edited and rewrite them, and cargo would compile their crates again.
 */
export async function refreshCheckoutIndex(paths: RepoPaths, layout: PushTreeLayout): Promise<void> {
  // The seal is the index's hash: unsealed while it changes, sealed again after (the lock is held;
  // a refresh records stat data only for files whose content is still the entry's).
  await rm(layout.seal, { force: true });
  await gitIn(paths, layout, ['update-index', '-q', '--refresh']);
  await writeSeal(layout);
}

async function writeSeal(layout: PushTreeLayout): Promise<void> {
  const tmp = `${layout.seal}.${process.pid}`;
  await writeFile(tmp, `${await sha256File(layout.index)}\n`);
  await rename(tmp, layout.seal);
}

/** Why the checkout is not exactly `tree`, or null when it is. */
async function mismatch(paths: RepoPaths, layout: PushTreeLayout, tree: string): Promise<string | null> {
  if ((await gitIn(paths, layout, ['diff-index', '--cached', '--quiet', tree])).exitCode !== 0) return 'its index is not the commit';
  await gitIn(paths, layout, ['update-index', '-q', '--refresh']);
  const modified = await gitOk(paths, layout, ['diff-files', '--name-only', '-z']);
  if (modified) return `${modified.split('\0')[0]} differs from the commit`;
  const extra = await gitOk(paths, layout, ['ls-files', '--others', '--directory', '-z']);
  if (extra) return `${extra.split('\0')[0]} is not in the commit`;
  return null;
}

async function wipe(layout: PushTreeLayout): Promise<void> {
  await rm(layout.seal, { force: true });
  await rm(layout.index, { force: true });
  await rm(layout.tree, { recursive: true, force: true });
}

/** A symlink the mirror needs: `at` (inside the mirror) pointing to `to` (the real folder). */
export interface MirrorLink {
  at: string;
  to: string;
}

/**
 * Makes the folders above the checkout hold exactly the symlinks `links` (and the path down to
 * the checkout): a link left by an earlier commit's dependency is removed.
 */
async function syncMirror(layout: PushTreeLayout, links: MirrorLink[]): Promise<void> {
  const chain: string[] = [];
  for (let dir = dirname(layout.tree); isWithin(layout.mirror, dir); dir = dirname(dir)) {
    chain.push(dir);
    if (dir === layout.mirror) break;
  }
  for (const dir of chain) {
    const wanted = new Map(links.filter((l) => dirname(l.at) === dir).map((l) => [basename(l.at), l.to]));
    const keep = chain.find((c) => dirname(c) === dir) ?? layout.tree;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const full = join(dir, name);
      if (full === keep) continue;
      const to = wanted.get(name);
      const st = await lstat(full);
      if (to !== undefined && st.isSymbolicLink() && (await readlink(full)) === to) {
        wanted.delete(name);
        continue;
      }
      await rm(full, { recursive: true, force: true });
    }
    for (const [name, to] of wanted) await symlink(to, join(dir, name));
  }
}

/**
 * Makes the private checkout hold exactly `tree` and proves it; returns whether it had to be
 * rebuilt from nothing. Call with the private checkout's lock held.
 */
export async function preparePushTree(paths: RepoPaths, layout: PushTreeLayout, tree: string, links: MirrorLink[]): Promise<{ rebuilt: boolean }> {
  // We hold the lock, so an index.lock can only be a killed run's: git would refuse to start.
  await rm(`${layout.index}.lock`, { force: true });
  const sealed = (await readFile(layout.seal, 'utf8').catch(() => '')).trim();
  const current = await sha256File(layout.index);
  let rebuilt = false;
  if (!sealed || sealed !== current) {
    // No seal: the first run, or a run killed while moving the checkout; a foreign index: damaged.
    await wipe(layout);
    rebuilt = true;
  }
  // Unsealed while the checkout moves: a run killed in between leaves it doubtful, not trusted.
  await rm(layout.seal, { force: true });
  let problem: string | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await checkout(paths, layout, tree);
      problem = await mismatch(paths, layout, tree);
    } catch (error) {
      problem = (error as Error).message;
    }
    if (!problem) break;
    if (attempt === 0) {
      await wipe(layout);
      rebuilt = true;
    }
  }
  if (problem) {
    throw new GuardError(`${layout.tree}: the private checkout could not be made equal to the pushed commit (${problem}): delete ${layout.base} and push again`);
  }
  try {
    await syncMirror(layout, links);
  } catch (error) {
    throw new GuardError(`${layout.mirror}: could not link the path dependencies outside the repository (${(error as Error).message}): delete ${layout.base} and push again`);
  }
  await writeSeal(layout);
  return { rebuilt };
}

/** The checkout of older versions, inside the git dir, where the folders above it leaked config in. */
export async function removeLegacyPushTree(commonDir: string): Promise<boolean> {
  const old = join(commonDir, 'loom-guard');
  const names = ['push-tree', 'push-tree.index', 'push-tree.lock', 'push-target'];
  let found = false;
  for (const name of names) {
    if (await pathExists(join(old, name))) {
      found = true;
      await rm(join(old, name), { recursive: true, force: true });
    }
  }
  return found;
}

/**
 * Removes the private checkouts of worktrees that no longer exist (a deleted clone, a moved
 * repository, the demo's): each holds a whole target folder. One whose run is alive is kept.
 */
export async function pruneOrphans(layout: PushTreeLayout): Promise<number> {
  await writeFile(layout.owner, `${layout.realRoot}\n`);
  const root = dirname(layout.base);
  let removed = 0;
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const base = join(root, name);
    if (base === layout.base) continue;
    const owner = (await readFile(join(base, 'owner'), 'utf8').catch(() => '')).trim();
    if (!owner || !isAbsolute(owner) || (await pathExists(owner))) continue;
    const lock = await readFile(join(base, 'lock'), 'utf8').catch(() => null);
    if (lock !== null && (await ownerAlive(lock)).alive) continue;
    await rm(base, { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

/** When the process started (Linux /proc), so that a pid reused after a kill is not taken for the owner. */
async function processStart(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

export async function ownerAlive(text: string): Promise<{ pid: number; alive: boolean }> {
  const [pidText, start = ''] = text.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return { pid, alive: false };
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return { pid, alive: false };
  }
  const now = await processStart(pid);
  return { pid, alive: !start || !now || now === start };
}

/**
 * Takes the private checkout for this process: two pushes at once would otherwise move the same
 * folder under each other. A lock whose owner is gone (killed, pid reused) is taken over.
 */
export async function lockPushTree(layout: PushTreeLayout, onWait: (pid: number) => void, timeoutMs = 30 * 60_000): Promise<() => Promise<void>> {
  await mkdir(layout.base, { recursive: true });
  const started = Date.now();
  const me = `${process.pid} ${await processStart(process.pid)}`;
  let told = false;
  for (;;) {
    // Written beside and hard-linked into place: the lock never exists without its owner in it.
    const tmp = `${layout.lock}.${process.pid}`;
    await writeFile(tmp, me);
    try {
      await link(tmp, layout.lock);
      return () => rm(layout.lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(tmp, { force: true });
    }
    const text = await readFile(layout.lock, 'utf8').catch(() => '');
    const owner = await ownerAlive(text);
    if (!owner.alive) {
      // Only the stale lock we read goes: a live run that took it meanwhile keeps its own.
      if ((await readFile(layout.lock, 'utf8').catch(() => '')) === text) await rm(layout.lock, { force: true });
      continue;
    }
    if (!told) {
      onWait(owner.pid);
      told = true;
    }
    if (Date.now() - started > timeoutMs) {
      throw new GuardError(`${layout.lock}: held by process ${owner.pid} for too long: stop that loom-guard run, or delete the file if it is not running`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
