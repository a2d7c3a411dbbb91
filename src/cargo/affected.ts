import { WORKSPACE_FILES, type CrateSelection, type WorkspaceCrate } from './crates.js';
import { ownerOf, type NotCurrent } from './depInfo.js';

/*
 * Which crates a change concerns, for both hooks. A crate is concerned by a file when the file lies
 * in its folder (the folder rule) or when one of its units read the file, per cargo's dep-info
 * (depInfo.ts): `include_str!`/`include!` targets in other folders, build scripts'
 * `rerun-if-changed` paths. A file that decides how every crate builds (workspace files, a
 * rustfmt or clippy config anywhere, any member's Cargo.toml at push) means the workspace. A file
 * outside every crate folder that no record names concerns no crate, but a crate never built, or
 * changed since its records, could read it: such crates join the readers, with the reason in one
 * line (the workspace when that is every crate).
 */

/** What depInfo.ts answers: who read a path, and whose records cannot be trusted. */
export interface ReadIndex {
  /** Member names whose units read `path`; null for a unit of no member. */
  readersOf(path: string): Set<string | null>;
  readonly notCurrent: readonly NotCurrent[];
}

/** No records at all: the folder rule, and any file outside every crate means the workspace. */
export const NO_RECORDS = (members: readonly WorkspaceCrate[]): ReadIndex => ({
  readersOf: () => new Set(),
  notCurrent: members.map((m) => ({ crate: m.name, why: 'missing' as const })),
});

/** rustfmt and clippy look for these in every folder above a source: outside the crates, any crate below may read one. */
const TOOL_CONFIGS = new Set(['rustfmt.toml', '.rustfmt.toml', 'clippy.toml', '.clippy.toml']);

export type Reach =
  | { workspace: true; because: string }
  | {
      workspace: false;
      /** Crates holding a changed file (what fmt needs to see). */
      owners: string[];
      /** `owners` and every crate whose units read a changed file, or may (records missing or stale). */
      readers: string[];
      /** Why crates with missing or stale records joined the readers. */
      because?: string;
    };

const gapText = (n: NotCurrent) => (n.why === 'missing' ? `${n.crate} has no dep-info yet` : `the dep-info of ${n.crate} is older than ${n.file}`);

export interface ReachOptions {
  /** Any member's Cargo.toml means the workspace (a push: features unify across the workspace). */
  manifestsMeanWorkspace?: boolean;
  /**
   * Any crate whose records are missing or stale, and that no changed file already concerns, means
   * the workspace, wherever the changed files are: what it reads today is unknown (a push, whose
   * verdict is cached). Otherwise only files outside every crate folder widen (a commit).
   */
  strict?: boolean;
}

/** The crates `paths` concern: by folder, and by what their units read. */
export function reachOf(paths: readonly string[], members: readonly WorkspaceCrate[], deps: ReadIndex, options: ReachOptions = {}): Reach {
  const { manifestsMeanWorkspace = false, strict = false } = options;
  const owners = new Set<string>();
  const readers = new Set<string>();
  const outside: string[] = [];
  for (const path of paths) {
    if (WORKSPACE_FILES.has(path)) return { workspace: true, because: `${path} changed` };
    // A member's manifest can change the features cargo unifies for a dependency that unaffected
    // crates share; `cargo test --workspace` would build them with those features.
    if (manifestsMeanWorkspace && path.endsWith('/Cargo.toml')) return { workspace: true, because: `${path} changed` };
    const owner = ownerOf(path, members);
    if (owner) {
      owners.add(owner.name);
      readers.add(owner.name);
    } else if (TOOL_CONFIGS.has(path.slice(path.lastIndexOf('/') + 1))) {
      // In a crate's folder it is that crate's; above several crates, it may apply to any of them.
      return { workspace: true, because: `${path} changed` };
    } else {
      outside.push(path);
    }
    for (const reader of deps.readersOf(path)) {
      if (reader === null) return { workspace: true, because: `${path} is read by a crate that is no workspace member` };
      readers.add(reader);
    }
  }
  // A crate whose records are missing or stale may read any changed file: it joins the readers (a
  // crate with current records is proven not to), and the workspace only when that leaves none out.
  const gaps = paths.length && (outside.length || strict) ? deps.notCurrent.filter((n) => !readers.has(n.crate)) : [];
  const gap = gaps[0];
  if (!gap) return { workspace: false, owners: [...owners].sort(), readers: [...readers].sort() };
  const subject = outside[0] ?? paths[0];
  for (const g of gaps) readers.add(g.crate);
  if (members.every((m) => readers.has(m.name))) {
    if (outside.length) return { workspace: true, because: `${outside[0]} is outside every crate and ${gapText(gap)}` };
    return { workspace: true, because: `${paths[0]} may be read by ${gap.crate}, ${gap.why === 'missing' ? 'which has no dep-info yet' : `whose dep-info is older than ${gap.file}`}` };
  }
  const names = gaps.map((g) => g.crate).sort();
  const who = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
  return { workspace: false, owners: [...owners].sort(), readers: [...readers].sort(), because: `${who} may read ${subject}: ${gapText(gap)}` };
}

export type AffectedScope =
  | { workspace: true; because: string }
  | {
      workspace: false;
      /** Crates holding a changed file: what fmt needs to see. */
      changed: string[];
      /** Crates reading a changed file and their reverse dependencies: what clippy, build and test need to see. */
      affected: string[];
      /** Why crates with missing or stale records were added. */
      because?: string;
    };

/**
 * Which crates a change since a tree that passed the full check can break: the crates it concerns
 * (reachOf) and every member that depends on one of them, directly or not (normal, dev or build
 * dependency). Empty when the change concerns no crate (a README): the verdict stands.
 */
export function affectedCrates(paths: string[], members: WorkspaceCrate[], deps: ReadIndex = NO_RECORDS(members)): AffectedScope {
  const reach = reachOf(paths, members, deps, { manifestsMeanWorkspace: true, strict: true });
  if (reach.workspace) return reach;
  const dependents = new Map<string, string[]>();
  for (const m of members) for (const d of m.deps ?? []) dependents.set(d, [...(dependents.get(d) ?? []), m.name]);
  const affected = new Set(reach.readers);
  const queue = [...reach.readers];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const user of dependents.get(name) ?? []) {
      if (!affected.has(user)) {
        affected.add(user);
        queue.push(user);
      }
    }
  }
  if (affected.size === members.length && members.length > 0) return { workspace: true, because: reach.because ? `every crate is affected: ${reach.because}` : 'every crate is affected' };
  return { workspace: false, changed: reach.owners, affected: [...affected].sort(), ...(reach.because ? { because: reach.because } : {}) };
}

/** Pre-commit's crates: those the staged paths concern (reachOf), or the workspace with the reason. */
export function selectReading(paths: string[], members: readonly WorkspaceCrate[], deps: ReadIndex): CrateSelection {
  const reach = reachOf(paths, members, deps);
  if (reach.workspace) return { workspace: true, crates: members.map((m) => m.name).sort(), because: reach.because };
  return { workspace: false, crates: reach.readers, ...(reach.because ? { because: reach.because } : {}) };
}
