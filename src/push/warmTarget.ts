import { constants } from 'node:fs';
import { cp, lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { run } from '../proc.js';

/*
 * A private checkout that starts warm (#21): its empty target folder is seeded from the
 * repository's own, so that its first push compiles the workspace members only. Only the
 * third-party crates' units are taken (those Cargo.lock gives a `source`): the members' own
 * artifacts are of no use there (the checkout lives at another path, so cargo gives them other
 * hashes), and leaving them out keeps the copy small. Each file is cloned where the file system
 * can (reflink: no disk until written) and copied otherwise, with its timestamps; never hard
 * linked, since cargo rewrites some outputs in place and would change the user's target through
 * the link. cargo takes what it finds by its own fingerprints, so a stale or foreign unit is
 * rebuilt, never trusted.
 */

/** The profile folders the push builds in: dev (build, clippy) and test share `debug`. */
const PROFILE_DIRS = ['debug'];

/** Names of the packages Cargo.lock records with a source: registry and git crates. */
export function thirdPartyPackages(lockText: string): Set<string> {
  const names = new Set<string>();
  for (const block of lockText.split(/^\[\[package\]\]\s*$/m).slice(1)) {
    const name = /^name\s*=\s*"([^"]+)"/m.exec(block)?.[1];
    if (name && /^source\s*=\s*"/m.test(block)) names.add(name);
  }
  return names;
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

/** The user's target folder as cargo uses it in place: CARGO_TARGET_DIR, else <root>/target. */
export function userTargetDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CARGO_TARGET_DIR;
  if (configured) return isAbsolute(configured) ? configured : join(root, configured);
  return join(root, 'target');
}

export interface WarmResult {
  /** Third-party packages whose units were taken. */
  packages: number;
  files: number;
  bytes: number;
}

async function sizeOf(path: string): Promise<{ files: number; bytes: number }> {
  const st = await lstat(path);
  if (!st.isDirectory()) return { files: 1, bytes: st.size };
  let files = 0;
  let bytes = 0;
  for (const name of await readdir(path)) {
    const inner = await sizeOf(join(path, name));
    files += inner.files;
    bytes += inner.bytes;
  }
  return { files, bytes };
}

/**
 * Copies `names` from `fromDir` into `toDir`: GNU cp keeps timestamps to the nanosecond (cargo
 * compares them) and clones where the file system can; elsewhere Node's copy, which clones too.
 */
async function copyInto(fromDir: string, names: string[], toDir: string): Promise<void> {
  if (!names.length) return;
  const args = ['-R', '--no-dereference', '--preserve=mode,timestamps', '--reflink=auto', '-t', toDir, '--', ...names];
  const done = await run('cp', args, { cwd: fromDir }).then((r) => r.exitCode === 0, () => false);
  if (done) return;
  for (const name of names) {
    // COPYFILE_FICLONE: a reflink where the file system has it, else a plain copy.
    await cp(join(fromDir, name), join(toDir, name), { recursive: true, preserveTimestamps: true, mode: constants.COPYFILE_FICLONE, verbatimSymlinks: true });
  }
}

/**
 * Seeds `target` (the private checkout's, empty) from `source` (the user's) with the units of the
 * third-party packages in `lockText`. Null when there was nothing to take.
 */
export async function warmTarget(source: string, target: string, lockText: string): Promise<WarmResult | null> {
  const wanted = thirdPartyPackages(lockText);
  if (!wanted.size) return null;
  const total: WarmResult = { packages: 0, files: 0, bytes: 0 };
  for (const profile of PROFILE_DIRS) {
    const from = join(source, profile);
    const fingerprints = await readdir(join(from, '.fingerprint')).catch(() => [] as string[]);
    const hashes = new Set<string>();
    const packages = new Set<string>();
    const copies: string[] = [];
    for (const entry of fingerprints) {
      const unit = unitOf(entry);
      if (!unit || !wanted.has(unit.name)) continue;
      hashes.add(unit.hash);
      packages.add(unit.name);
      copies.push(join('.fingerprint', entry));
    }
    if (!hashes.size) continue;
    for (const entry of await readdir(join(from, 'build')).catch(() => [] as string[])) {
      const unit = unitOf(entry);
      if (unit && hashes.has(unit.hash)) copies.push(join('build', entry));
    }
    for (const file of await readdir(join(from, 'deps')).catch(() => [] as string[])) {
      const hash = hashOfDepsFile(file);
      if (hash && hashes.has(hash)) copies.push(join('deps', file));
    }
    const to = join(target, profile);
    for (const dir of ['.fingerprint', 'build', 'deps']) await mkdir(join(to, dir), { recursive: true });
    total.packages += packages.size;
    // Artifacts before fingerprints: a fingerprint without its artifact would claim a unit not there.
    for (const dir of ['deps', 'build', '.fingerprint']) {
      const names = copies.filter((rel) => rel.startsWith(`${dir}/`)).map((rel) => rel.slice(dir.length + 1));
      for (let i = 0; i < names.length; i += 200) await copyInto(join(from, dir), names.slice(i, i + 200), join(to, dir));
    }
    for (const rel of copies) {
      const size = await sizeOf(join(to, rel));
      total.files += size.files;
      total.bytes += size.bytes;
    }
  }
  return total.packages ? total : null;
}

/** Seeds the private checkout's target when it has none yet; says what it did, or null. */
export async function warmIfCold(root: string, tree: string, target: string, env: NodeJS.ProcessEnv = process.env): Promise<WarmResult | null> {
  if (await lstat(join(target, 'debug')).then(() => true, () => false)) return null;
  const lock = await readFile(join(tree, 'Cargo.lock'), 'utf8').catch(() => null);
  if (lock === null) return null;
  return warmTarget(userTargetDir(root, env), target, lock);
}
