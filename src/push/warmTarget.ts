import { constants } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { run } from '../proc.js';
import { lockCargoShared, type CargoLockOutcome } from './cargoLock.js';

/*
 * A private checkout that starts warm (#21): its empty target folder is seeded from the
 * repository's own, so that its first push compiles only what the push changed. The third-party
 * crates' units are taken (those Cargo.lock gives a `source`), and the members' units too, never
 * their incremental folders: with the checkout's files given the user's modification times where
 * their content is the user's (alignMtimes.ts), cargo finds them as fresh as in the user's tree,
 * and their dep-info keeps the first push's affected set narrow.
 *
 * The bulk of a target folder is the third-party .rlib and .rmeta files, and those are shared, not
 * copied: the private target holds a symlink to the user's file. That is safe where a hard link is
 * not: rustc never writes an .rlib or .rmeta in place, it writes a temporary file and renames it
 * over the output, so a unit cargo decides to rebuild in the private checkout replaces the symlink
 * and never writes through it (test/push-warm.test.mjs rebuilds one to prove it). Everything cargo,
 * a linker or a build script may write in place is copied: fingerprints, dep-info, build script
 * folders (their executables and OUT_DIR), proc-macro libraries. Copies keep their timestamps
 * (cargo compares them) and are reflinks where the file system has them.
 *
 * The copy is taken under cargo's own build lock on the user's profile folder, shared (a
 * concurrent `cargo build` there waits, or we wait for it), and verified: any file that changed
 * while it was taken discards the whole seed. A shared file the user's cargo later replaced (the
 * same unit rebuilt) is noticed before each run (checkShared): its link and fingerprint go, so
 * cargo rebuilds that unit in the private checkout rather than trust a file it did not fingerprint.
 */

/** The profile folders the push builds in: dev (build, clippy) and test share `debug`. */
const PROFILE_DIRS = ['debug'];

/** Where the private target records what it shares with the user's, and in what state. */
export const SHARED_MANIFEST = 'loom-guard-shared.json';

/** Names of the packages Cargo.lock records with a source: registry and git crates. */
export function thirdPartyPackages(lockText: string): Set<string> {
  return lockPackages(lockText).thirdParty;
}

/** Cargo.lock's packages: with a source (third-party) and without (workspace members, path crates). */
export function lockPackages(lockText: string): { thirdParty: Set<string>; local: Set<string> } {
  const thirdParty = new Set<string>();
  const local = new Set<string>();
  for (const block of lockText.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name) (/^source\s*=\s*"/m.test(block) ? thirdParty : local).add(name);
  }
  return { thirdParty, local };
}

/** `<package>-<16 hex>` (a fingerprint or build folder) split into its name and hash. */
function unitOf(entry: string): { name: string; hash: string } | null {
  const m = /^(.+)-([0-9a-f]{16})$/.exec(entry);
  return m ? { name: m[1] as string, hash: m[2] as string } : null;
}

/** The hash in a deps/ file name: `libserde-<hash>.rlib`, `serde-<hash>.d`. */
function hashOfDepsFile(file: string): string | null {
  return /-([0-9a-f]{16})(?:\.[A-Za-z0-9.]+)?$/.exec(file)?.[1] ?? null;
}

/** Outputs rustc only ever replaces by renaming a finished file over them: safe to share by symlink. */
const SHAREABLE = /\.(rlib|rmeta)$/;

/** What one profile folder's seed takes: paths relative to the profile folder. */
export interface WarmPlan {
  packages: Set<string>;
  /** Local packages (members) whose units were taken. */
  locals: Set<string>;
  /** Copied: `.fingerprint/<unit>`, `build/<unit>`, `deps/<file>` (dep-info, proc-macro libraries, members' outputs). */
  copy: string[];
  /** Shared by symlink: third-party `deps/lib<name>-<hash>.rlib|rmeta`. */
  share: string[];
}

/**
 * Picks the units to take out of a profile folder's listing (pure: names in, plan out): every unit
 * of `thirdParty`, and of `local` (the members: their files are copied, never shared, since the
 * user rebuilds them all the time).
 */
export function planWarm(listing: { fingerprints: string[]; build: string[]; deps: string[] }, thirdParty: ReadonlySet<string>, local: ReadonlySet<string> = new Set()): WarmPlan {
  const plan: WarmPlan = { packages: new Set(), locals: new Set(), copy: [], share: [] };
  const hashes = new Map<string, 'third' | 'local'>();
  for (const entry of listing.fingerprints) {
    const unit = unitOf(entry);
    if (!unit) continue;
    const kind = thirdParty.has(unit.name) ? 'third' : local.has(unit.name) ? 'local' : null;
    if (!kind) continue;
    hashes.set(unit.hash, kind);
    (kind === 'third' ? plan.packages : plan.locals).add(unit.name);
    plan.copy.push(`.fingerprint/${entry}`);
  }
  for (const entry of listing.build) {
    const unit = unitOf(entry);
    if (unit && hashes.has(unit.hash)) plan.copy.push(`build/${entry}`);
  }
  for (const file of listing.deps) {
    const hash = hashOfDepsFile(file);
    const kind = hash ? hashes.get(hash) : undefined;
    if (!kind) continue;
    // A member's executables (its tests, its bins) are left out: the largest files of a target
    // folder, and any the push runs depend on what it changed, so cargo links them again anyway.
    if (kind === 'local' && !/\.[A-Za-z0-9]+$/.test(file)) continue;
    (kind === 'third' && SHAREABLE.test(file) ? plan.share : plan.copy).push(`deps/${file}`);
  }
  return plan;
}

/** The user's target folder as cargo uses it in place: CARGO_TARGET_DIR, else <root>/target. */
export function userTargetDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CARGO_TARGET_DIR;
  if (configured) return isAbsolute(configured) ? configured : join(root, configured);
  return join(root, 'target');
}

export interface WarmResult {
  /** Third-party packages whose units were taken. */
  packages: number;
  /** Local packages (members) whose units were taken. */
  members: number;
  /** Files and bytes copied into the private target. */
  files: number;
  bytes: number;
  /** Files and bytes shared with the user's target by symlink (no disk of their own). */
  shared: number;
  sharedBytes: number;
  /** How the user's target was read: under cargo's lock, or (no flock, lock busy) verified only. */
  lock: CargoLockOutcome;
}

/** A file's identity for "did it change": inode, size, modification time. */
interface FileState {
  ino: number;
  size: number;
  mtimeMs: number;
}

const stateOf = async (path: string): Promise<FileState | null> => {
  const st = await stat(path).catch(() => null);
  return st ? { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : null;
};
const sameState = (a: FileState | null, b: FileState | null) => !!a && !!b && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** Every regular file under `path` (itself when it is one), with its state. */
async function statesUnder(path: string, into: Map<string, FileState | null>): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) {
    into.set(path, null);
    return;
  }
  if (st.isDirectory()) {
    for (const name of await readdir(path).catch(() => [] as string[])) await statesUnder(join(path, name), into);
  } else {
    into.set(path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
  }
}

/** Files and bytes under `path`, a file with two names (a build script's) counted once. */
async function sizeOf(path: string, seen: Set<number>): Promise<{ files: number; bytes: number }> {
  const st = await lstat(path);
  if (!st.isDirectory()) {
    if (seen.has(st.ino)) return { files: 0, bytes: 0 };
    seen.add(st.ino);
    return { files: 1, bytes: st.size };
  }
  let files = 0;
  let bytes = 0;
  for (const name of await readdir(path)) {
    const inner = await sizeOf(join(path, name), seen);
    files += inner.files;
    bytes += inner.bytes;
  }
  return { files, bytes };
}

/**
 * Copies `names` from `fromDir` into `toDir`: GNU cp keeps timestamps to the nanosecond (cargo
 * compares them), keeps a build script's two hard-linked names one file, and clones where the file
 * system can; elsewhere Node's copy, which clones too.
 */
async function copyInto(fromDir: string, names: string[], toDir: string): Promise<void> {
  if (!names.length) return;
  const args = ['-R', '--no-dereference', '--preserve=mode,timestamps,links', '--reflink=auto', '-t', toDir, '--', ...names];
  const done = await run('cp', args, { cwd: fromDir }).then((r) => r.exitCode === 0, () => false);
  if (done) return;
  for (const name of names) {
    // COPYFILE_FICLONE: a reflink where the file system has it, else a plain copy.
    await cp(join(fromDir, name), join(toDir, name), { recursive: true, preserveTimestamps: true, mode: constants.COPYFILE_FICLONE, verbatimSymlinks: true });
  }
}

interface SharedEntry extends FileState {
  /** The user's file the link points to. */
  to: string;
}
type SharedManifest = Record<string, SharedEntry>;

/**
 * Seeds `target` (the private checkout's, empty) from `source` (the user's) with the units of the
 * third-party packages in `lockText`. Null when there was nothing to take, or when the user's
 * target changed while it was read (the seed is then discarded whole).
 */
export async function warmTarget(source: string, target: string, lockText: string, options: { members?: boolean; onWait?: (lockFile: string) => void } = {}): Promise<WarmResult | null> {
  const { thirdParty, local } = lockPackages(lockText);
  if (!thirdParty.size && !options.members) return null;
  const total: WarmResult = { packages: 0, members: 0, files: 0, bytes: 0, shared: 0, sharedBytes: 0, lock: 'locked' };
  const manifest: SharedManifest = {};
  for (const profile of PROFILE_DIRS) {
    const from = join(source, profile);
    const lockFile = join(from, '.cargo-lock');
    const held = await lockCargoShared(lockFile, 120, () => options.onWait?.(lockFile));
    if (held.outcome !== 'locked') total.lock = held.outcome;
    try {
      const list = (dir: string) => readdir(join(from, dir)).catch(() => [] as string[]);
      const plan = planWarm({ fingerprints: await list('.fingerprint'), build: await list('build'), deps: await list('deps') }, thirdParty, options.members ? local : new Set());
      if (!plan.packages.size && !plan.locals.size) continue;
      const before = new Map<string, FileState | null>();
      for (const rel of [...plan.copy, ...plan.share]) await statesUnder(join(from, rel), before);

      const to = join(target, profile);
      for (const dir of ['.fingerprint', 'build', 'deps']) await mkdir(join(to, dir), { recursive: true });
      // Artifacts before fingerprints: a fingerprint without its artifact would claim a unit not there.
      for (const dir of ['deps', 'build']) {
        const names = plan.copy.filter((rel) => rel.startsWith(`${dir}/`)).map((rel) => rel.slice(dir.length + 1));
        for (let i = 0; i < names.length; i += 200) await copyInto(join(from, dir), names.slice(i, i + 200), join(to, dir));
      }
      for (const rel of plan.share) {
        const state = before.get(join(from, rel));
        if (!state) continue;
        await symlink(join(from, rel), join(to, rel));
        manifest[join(profile, rel)] = { to: join(from, rel), ...state };
        total.shared += 1;
        total.sharedBytes += state.size;
      }
      const fingerprints = plan.copy.filter((rel) => rel.startsWith('.fingerprint/')).map((rel) => rel.slice('.fingerprint/'.length));
      for (let i = 0; i < fingerprints.length; i += 200) await copyInto(join(from, '.fingerprint'), fingerprints.slice(i, i + 200), join(to, '.fingerprint'));

      // Whatever cargo wrote meanwhile (no lock to take, or a build that ignored it): start cold.
      const after = new Map<string, FileState | null>();
      for (const rel of [...plan.copy, ...plan.share]) await statesUnder(join(from, rel), after);
      const changed = before.size !== after.size || [...before].some(([path, state]) => !sameState(state, after.get(path) ?? null));
      if (changed) {
        await rm(target, { recursive: true, force: true });
        return null;
      }
      total.packages += plan.packages.size;
      total.members += plan.locals.size;
      const seen = new Set<number>();
      for (const rel of plan.copy) {
        const size = await sizeOf(join(to, rel), seen);
        total.files += size.files;
        total.bytes += size.bytes;
      }
    } finally {
      await held.release();
    }
  }
  if (!total.packages && !total.members) return null;
  await writeFile(join(target, SHARED_MANIFEST), `${JSON.stringify(manifest)}\n`);
  return total;
}

/**
 * Before a run in the private checkout: every shared file the user's cargo has since replaced (the
 * same unit rebuilt in their target) loses its link and its unit's fingerprint, so that cargo
 * rebuilds that unit privately instead of taking a file it never fingerprinted. A link cargo
 * replaced by its own output is forgotten. Returns how many units are rebuilt for that reason.
 */
export async function checkShared(target: string): Promise<number> {
  const path = join(target, SHARED_MANIFEST);
  const manifest = await readFile(path, 'utf8').then((t) => JSON.parse(t) as SharedManifest, () => null);
  if (!manifest) return 0;
  const stale = new Set<string>();
  const kept: SharedManifest = {};
  for (const [rel, entry] of Object.entries(manifest)) {
    const link = join(target, rel);
    const st = await lstat(link).catch(() => null);
    if (!st?.isSymbolicLink()) continue;
    const now = await stateOf(entry.to);
    // Gone: cargo sees the missing output and rebuilds the unit itself, replacing the link.
    if (now === null || sameState(now, entry)) {
      kept[rel] = entry;
      continue;
    }
    await rm(link, { force: true });
    const hash = hashOfDepsFile(rel);
    if (hash) stale.add(`${rel.split('/')[0]}\0${hash}`);
  }
  for (const key of stale) {
    const [profile, hash] = key.split('\0') as [string, string];
    const fingerprints = join(target, profile, '.fingerprint');
    for (const entry of await readdir(fingerprints).catch(() => [] as string[])) {
      if (unitOf(entry)?.hash === hash) await rm(join(fingerprints, entry), { recursive: true, force: true });
    }
  }
  if (stale.size || Object.keys(kept).length !== Object.keys(manifest).length) await writeFile(path, `${JSON.stringify(kept)}\n`);
  return stale.size;
}

/** Seeds the private checkout's target when it has none yet; says what it did, or null. */
export async function warmIfCold(root: string, tree: string, target: string, env: NodeJS.ProcessEnv = process.env, onWait?: (lockFile: string) => void): Promise<WarmResult | null> {
  if (await lstat(join(target, 'debug')).then(() => true, () => false)) return null;
  const lock = await readFile(join(tree, 'Cargo.lock'), 'utf8').catch(() => null);
  if (lock === null) return null;
  return warmTarget(userTargetDir(root, env), target, lock, { members: true, onWait });
}
