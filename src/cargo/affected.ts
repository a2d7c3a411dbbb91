import { WORKSPACE_FILES, type WorkspaceCrate } from './crates.js';

/*
 * Which crates a change since a tree that passed the full check can break: the crates whose files
 * changed, and every member that depends on one of them, directly or not (normal, dev or build
 * dependency). A file that decides how every crate builds (root Cargo.toml, Cargo.lock, toolchain,
 * cargo and lint configs), any member's Cargo.toml (features unify across the workspace) or a file
 * outside every crate (a build could read it) means everything.
 */

export type AffectedScope =
  | { workspace: true; because: string }
  | {
      workspace: false;
      /** Crates holding a changed file: what fmt needs to see. */
      changed: string[];
      /** `changed` and their reverse dependencies: what clippy, build and test need to see. */
      affected: string[];
    };

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

export function affectedCrates(paths: string[], members: WorkspaceCrate[]): AffectedScope {
  const byDepth = [...members].sort((a, b) => b.dir.length - a.dir.length);
  const changed = new Set<string>();
  for (const path of paths) {
    if (WORKSPACE_FILES.has(path)) return { workspace: true, because: `${path} changed` };
    // A member's manifest can change the features cargo unifies for a dependency that unaffected
    // crates share; `cargo test --workspace` would build them with those features.
    if (path.endsWith('/Cargo.toml')) return { workspace: true, because: `${path} changed` };
    const owner = byDepth.find((m) => under(path, m.dir));
    if (!owner) return { workspace: true, because: `${path} is outside every crate` };
    changed.add(owner.name);
  }
  const dependents = new Map<string, string[]>();
  for (const m of members) for (const d of m.deps ?? []) dependents.set(d, [...(dependents.get(d) ?? []), m.name]);
  const affected = new Set(changed);
  const queue = [...changed];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const user of dependents.get(name) ?? []) {
      if (!affected.has(user)) {
        affected.add(user);
        queue.push(user);
      }
    }
  }
  if (affected.size === members.length) return { workspace: true, because: 'every crate is affected' };
  return { workspace: false, changed: [...changed].sort(), affected: [...affected].sort() };
}
