import { readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { WorkspaceCrate } from './crates.js';

/*
 * Which crates read a file, from what cargo itself recorded. We read two things, both plain text
 * that cargo and rustc have written the same way for years:
 * - `<target>/<profile>/deps/*.d`: the Makefile-style dep-info rustc writes for every unit it
 *   compiles (lib, bin, test, build script), listing every file it read: sources, `#[path]`
 *   modules, and the targets of `include_str!`, `include!` and `include_bytes!`. Paths are as rustc
 *   saw them: relative to the workspace root for members, absolute otherwise. The first file is the
 *   unit's root source, which names the member it belongs to (by folder, the deepest one).
 * - `<target>/<profile>/build/<pkg>-<hash>/output`: what a build script printed; its
 *   `cargo:rerun-if-changed=` paths (relative to the package) are what it reads. With none, cargo
 *   reruns it when anything in the package changes: it reads its whole package folder.
 * Not the fingerprint's `dep-lib-*` files: they are cargo's private binary encoding, which has
 * changed between cargo versions; the `.d` files carry the same list in rustc's stable format.
 *
 * Freshness is cargo's own rule: a unit's record holds while no file it read is newer than the
 * record. For each target of a member (its root source) the newest record counts; a member with no
 * record, or whose newest record of some target is older than a file it read, is "not current":
 * what it reads today may differ. Older records of other profiles and feature sets stay in the
 * map: a crate read by any of them is taken as a reader, which only ever checks more.
 */

/** One unit's record: which member it belongs to and which repository files it read. */
export interface DepUnit {
  /** The member holding the unit's root source; null for a unit of no member (a non-member crate inside the repository). */
  crate: string | null;
  /** What the unit is, for messages and for grouping by target: its root source, or `build.rs run` of a package. */
  target: string;
  /** Repository-relative (POSIX) files and folders it read; files outside the repository are left out. */
  reads: string[];
  /** Build script run without any rerun-if-changed line: it reads everything in its package folder. */
  wholePackage?: string;
  /** When the record was written (ms). */
  mtimeMs: number;
  /** The record's path, for messages. */
  file: string;
}

/** Unescapes the paths of a Makefile rule's prerequisites as rustc writes them (`\ ` for a space). */
function splitPaths(list: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < list.length; i++) {
    const ch = list[i] as string;
    if (ch === '\\' && i + 1 < list.length && (list[i + 1] === ' ' || list[i + 1] === '\\' || list[i + 1] === '#')) {
      current += list[i + 1];
      i++;
    } else if (ch === ' ' || ch === '\t') {
      if (current) out.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) out.push(current);
  return out;
}

/**
 * The files a rustc dep-info (`.d`) file lists, in order, without repeats. Comment lines (`# env-dep:`,
 * `# checksum:`) are skipped; the phony rules rustc adds (`path:` with nothing after) repeat the list.
 */
export function parseDepFile(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.replace(/\\\r?\n/g, ' ').split(/\r?\n/)) {
    if (!raw.trim() || raw.startsWith('#')) continue;
    // The target ends at the first ": " not escaped; absolute Windows paths are not a concern here.
    const at = raw.search(/(?<!\\):(\s|$)/);
    if (at < 0) continue;
    for (const path of splitPaths(raw.slice(at + 1))) {
      if (!seen.has(path)) {
        seen.add(path);
        out.push(path);
      }
    }
  }
  return out;
}

/** The `rerun-if-changed` paths of a build script's output (both `cargo:` and `cargo::` spellings), in order. */
export function parseBuildOutput(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^cargo::?rerun-if-changed=(.*)$/.exec(line);
    if (m && m[1]) out.push(m[1]);
  }
  return out;
}

/** The package name of a `build/<pkg>-<hash>` folder. */
export function buildDirPackage(name: string): string | null {
  const m = /^(.+)-[0-9a-f]{16}$/.exec(name);
  return m ? (m[1] as string) : null;
}

/** `path` (absolute, or relative to `base`) as a repository-relative POSIX path, or null outside the repository. */
export function repoRelative(path: string, base: string, repoRoot: string): string | null {
  const rel = relative(repoRoot, resolve(base, path));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return rel === '' ? '' : null;
  return rel.split(sep).join('/');
}

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

/** The member whose folder holds `path`, the deepest one when members nest. */
export function ownerOf(path: string, members: readonly WorkspaceCrate[]): WorkspaceCrate | null {
  let best: WorkspaceCrate | null = null;
  for (const m of members) if (under(path, m.dir) && (!best || m.dir.length > best.dir.length)) best = m;
  return best;
}

/** A rustc record as a unit: reads made repository-relative, the owner from the root source. */
export function rustcUnit(text: string, file: string, mtimeMs: number, wsRoot: string, repoRoot: string, members: readonly WorkspaceCrate[]): DepUnit | null {
  const listed = parseDepFile(text);
  if (!listed.length) return null;
  const reads = listed.map((p) => repoRelative(p, wsRoot, repoRoot));
  const root = reads[0];
  // A third-party crate (registry, git or a path outside the repository): no repository file read.
  const inRepo = reads.filter((p): p is string => p !== null && p !== '');
  if (root === null || root === undefined || !inRepo.length) return null;
  return { crate: ownerOf(root, members)?.name ?? null, target: root, reads: [...new Set(inRepo)], mtimeMs, file };
}

/** How a build script run is named among the targets. */
const RUN_SUFFIX = 'build.rs run';

/** A build script run's record: its rerun-if-changed paths, or its whole package without any. */
export function buildRunUnit(output: string, file: string, mtimeMs: number, member: WorkspaceCrate, repoRoot: string): DepUnit {
  const target = `${member.dir ? `${member.dir}/` : ''}${RUN_SUFFIX}`;
  const paths = parseBuildOutput(output);
  if (!paths.length) return { crate: member.name, target, reads: [], wholePackage: member.dir, mtimeMs, file };
  const pkgRoot = join(repoRoot, member.dir);
  const reads = paths.map((p) => repoRelative(p, pkgRoot, repoRoot)).filter((p): p is string => p !== null);
  return { crate: member.name, target, reads: [...new Set(reads)], mtimeMs, file };
}

/** Why a member's records cannot say what it reads today. */
export interface NotCurrent {
  crate: string;
  why: 'missing' | 'stale';
  /** For `stale`: the file read that is newer than the record. */
  file?: string;
}

/** Every record found, indexed: who reads a path, and which members' records are not current. */
export class DepInfo {
  private readonly byPath = new Map<string, Set<string | null>>();
  /** Folders read whole (rerun-if-changed on a folder, or a build script's whole package), with their readers. */
  private readonly folders: Array<{ dir: string; crate: string | null }> = [];

  constructor(
    readonly units: readonly DepUnit[],
    /** Members whose records are missing or older than a file they read. */
    readonly notCurrent: readonly NotCurrent[],
    /** Where the records were looked for, for messages. */
    readonly targetDir: string,
  ) {
    for (const unit of units) {
      for (const path of unit.reads) {
        const set = this.byPath.get(path) ?? new Set();
        set.add(unit.crate);
        this.byPath.set(path, set);
      }
      if (unit.wholePackage !== undefined) this.folders.push({ dir: unit.wholePackage, crate: unit.crate });
    }
  }

  /** Register folders read whole: a read path that is a folder (rerun-if-changed on a directory). */
  markFolders(dirs: ReadonlySet<string>): void {
    for (const [path, crates] of this.byPath) if (dirs.has(path)) for (const crate of crates) this.folders.push({ dir: path, crate });
  }

  /**
   * The crates whose units read `path` (null stands for a unit of no member). A folder read whole
   * counts for everything under it.
   */
  readersOf(path: string): Set<string | null> {
    const out = new Set(this.byPath.get(path) ?? []);
    for (const f of this.folders) if (under(path, f.dir)) out.add(f.crate);
    return out;
  }

  /** Every repository path some unit read, and every folder read whole: for the in-place proof. */
  allReads(): { files: string[]; folders: string[] } {
    return { files: [...this.byPath.keys()], folders: this.folders.map((f) => f.dir) };
  }

  /** Which units read `path`, for a message: `crates/a/src/lib.rs`. */
  unitsReading(path: string): DepUnit[] {
    return this.units.filter((u) => u.reads.includes(path) || (u.wholePackage !== undefined && under(path, u.wholePackage)));
  }
}

/**
 * Which members are not current, given each unit's newest read-file time (null: a read file is
 * gone). Pure: `newestRead` is looked up by the caller. Per member, per target, the newest record counts.
 */
export function currency(
  units: readonly DepUnit[],
  members: readonly WorkspaceCrate[],
  newestRead: (unit: DepUnit) => { file: string; mtimeMs: number } | null | 'gone',
): NotCurrent[] {
  const newest = new Map<string, DepUnit>();
  for (const u of units) {
    if (u.crate === null) continue;
    const key = `${u.crate}\0${u.target}`;
    const before = newest.get(key);
    if (!before || u.mtimeMs > before.mtimeMs) newest.set(key, u);
  }
  const out: NotCurrent[] = [];
  for (const m of members) {
    const mine = [...newest.values()].filter((u) => u.crate === m.name);
    if (!mine.some((u) => u.wholePackage === undefined)) {
      out.push({ crate: m.name, why: 'missing' });
      continue;
    }
    for (const u of mine) {
      // A build script reading its whole package reads nothing outside it: the folder rule has it.
      if (u.wholePackage !== undefined) continue;
      const n = newestRead(u);
      if (n === 'gone' || (n && n.mtimeMs > u.mtimeMs)) {
        out.push({ crate: m.name, why: 'stale', file: n === 'gone' ? u.target : n.file });
        break;
      }
    }
  }
  return out;
}

/** The profile folders of a target folder: `<target>/<profile>` and `<target>/<triple>/<profile>` holding `deps/` or `build/`. */
async function profileDirs(targetDir: string): Promise<string[]> {
  const list = async (dir: string) => (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  const out: string[] = [];
  for (const dir of await list(targetDir)) {
    const inner = await readdir(dir).catch(() => [] as string[]);
    if (inner.includes('deps') || inner.includes('build')) out.push(dir);
    else for (const sub of await list(dir)) if ((await readdir(sub).catch(() => [] as string[])).includes('deps')) out.push(sub);
  }
  return out;
}

const mtime = (path: string) => stat(path).then((s) => s.mtimeMs, () => null);

export interface LoadOptions {
  /** The repository's working tree (where the build ran). */
  repoRoot: string;
  /** The workspace root (rustc's working directory for members); the repository root in practice. */
  wsRoot?: string;
  targetDir: string;
  members: readonly WorkspaceCrate[];
}

/** Reads every record under `targetDir` (all profiles) and judges each member's currency. */
export async function loadDepInfo(opts: LoadOptions): Promise<DepInfo> {
  const { repoRoot, targetDir, members } = opts;
  const wsRoot = opts.wsRoot ?? repoRoot;
  const byName = new Map(members.map((m) => [m.name, m]));
  const units: DepUnit[] = [];
  const jobs: Array<Promise<void>> = [];
  for (const profile of await profileDirs(targetDir)) {
    const deps = join(profile, 'deps');
    for (const name of await readdir(deps).catch(() => [] as string[])) {
      if (!name.endsWith('.d')) continue;
      const file = join(deps, name);
      jobs.push(
        Promise.all([readFile(file, 'utf8'), mtime(file)]).then(
          ([text, ms]) => {
            const unit = rustcUnit(text, file, ms ?? 0, wsRoot, repoRoot, members);
            if (unit) units.push(unit);
          },
          () => undefined,
        ),
      );
    }
    const build = join(profile, 'build');
    for (const name of await readdir(build).catch(() => [] as string[])) {
      const dir = join(build, name);
      const pkg = buildDirPackage(name);
      const member = pkg === null ? undefined : byName.get(pkg);
      if (!member) continue;
      jobs.push(
        readdir(dir).then(async (inside) => {
          // The compiled script's own record (build_script_build-<hash>.d) is a rustc record.
          for (const f of inside.filter((n) => n.endsWith('.d'))) {
            const file = join(dir, f);
            const [text, ms] = await Promise.all([readFile(file, 'utf8'), mtime(file)]);
            const unit = rustcUnit(text, file, ms ?? 0, wsRoot, repoRoot, members);
            if (unit) units.push(unit);
          }
          if (inside.includes('output')) {
            const file = join(dir, 'output');
            // cargo judges a run against the time it was invoked (invoked.timestamp).
            const [text, ms, invoked] = await Promise.all([readFile(file, 'utf8'), mtime(file), mtime(join(dir, 'invoked.timestamp'))]);
            units.push(buildRunUnit(text, file, invoked ?? ms ?? 0, member, repoRoot));
          }
        }, () => undefined),
      );
    }
  }
  await Promise.all(jobs);
  units.sort((a, b) => (a.file < b.file ? -1 : 1));

  const times = new Map<string, Promise<number | null>>();
  const timeOf = (rel: string) => {
    let t = times.get(rel);
    if (!t) times.set(rel, (t = mtime(join(repoRoot, rel))));
    return t;
  };
  const newestByUnit = new Map<DepUnit, { file: string; mtimeMs: number } | null | 'gone'>();
  await Promise.all(
    units.map(async (u) => {
      // A rerun-if-changed path that does not exist is cargo's "always rerun", nothing stale;
      // a source that is gone means the record describes sources that are no more.
      const isRun = u.target.endsWith(RUN_SUFFIX);
      let newest: { file: string; mtimeMs: number } | null | 'gone' = null;
      for (const rel of u.reads) {
        const t = await timeOf(rel);
        if (t === null) {
          if (isRun) continue;
          newest = 'gone';
          break;
        }
        if (newest === null || t > newest.mtimeMs) newest = { file: rel, mtimeMs: t };
      }
      newestByUnit.set(u, newest);
    }),
  );
  const dirs = new Set<string>();
  await Promise.all(
    [...new Set(units.filter((u) => u.target.endsWith(RUN_SUFFIX)).flatMap((u) => u.reads))].map(async (rel) => {
      if ((await stat(join(repoRoot, rel)).catch(() => null))?.isDirectory()) dirs.add(rel);
    }),
  );
  const info = new DepInfo(units, currency(units, members, (u) => newestByUnit.get(u) ?? null), targetDir);
  info.markFolders(dirs);
  return info;
}

/**
 * Where cargo puts its build output for a workspace at `root`: CARGO_TARGET_DIR or
 * CARGO_BUILD_TARGET_DIR, `build.target-dir` of the workspace's own `.cargo/config.toml`, else
 * `<root>/target`. (A target-dir set in a config above the repository is not looked for: the
 * records are then missing, which is the safe side.)
 */
export async function targetDirOf(root: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const fromEnv = env.CARGO_TARGET_DIR || env.CARGO_BUILD_TARGET_DIR;
  if (fromEnv) return resolve(root, fromEnv);
  for (const name of ['config.toml', 'config']) {
    const text = await readFile(join(root, '.cargo', name), 'utf8').catch(() => null);
    if (text === null) continue;
    if (!/target-dir/.test(text)) break;
    try {
      const { parse } = await import('smol-toml');
      const doc = parse(text) as { build?: { 'target-dir'?: unknown } };
      const dir = doc.build?.['target-dir'];
      if (typeof dir === 'string') return resolve(root, dir);
    } catch {
      /* cargo reports a broken config itself */
    }
    break;
  }
  return join(root, 'target');
}
