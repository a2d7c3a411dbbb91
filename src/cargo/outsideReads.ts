import type { WorkspaceCrate } from './crates.js';
import { ownerOf, type DepInfo } from './depInfo.js';

/*
 * What the pre-commit shim must know of cargo's dep-info: the repository files some unit read that
 * lie outside every crate folder (a build script's `rerun-if-changed=../../shared/schema.sql`, an
 * `include_str!("../../docs/x.txt")`). Files inside a crate folder are relevant to the shim anyway.
 * Pure: the records come in loaded (depInfo.ts), the result goes out as exact names.
 */

export interface OutsideReads {
  /** Repository-relative files read outside every crate folder, sorted. */
  files: string[];
  /** Folders read whole (rerun-if-changed on a folder) outside every crate folder; '' is the whole repository. */
  folders: string[];
  /**
   * Every member has records and none is older than a file it read: a file outside the crate
   * folders that is not listed is read by no unit. Else what is read today is not known.
   */
  complete: boolean;
  /** Why not complete, for doctor and messages. */
  because?: string;
}

/** Every file may be read: what the shim assumes when it knows nothing. */
export const UNKNOWN_READS = (because: string): OutsideReads => ({ files: [], folders: [], complete: false, because });

/** No crate at all: nothing is read. */
export const NO_READS: OutsideReads = { files: [], folders: [], complete: true };

/**
 * A name git prints as is with core.quotePath=true. Any other name reaches the shim quoted and
 * hands over whatever the patterns say, so it needs no entry.
 */
export const plainName = (path: string): boolean => /^[\x20-\x7e]+$/.test(path) && !/["\\]/.test(path);

const under = (path: string, dir: string) => dir === '' || path === dir || path.startsWith(`${dir}/`);

/**
 * The reads outside every member's folder, leaving out cargo's own output (`targetRel`, the target
 * folder when it lies inside the repository: never staged, and OUT_DIR files live there).
 */
export function outsideReads(deps: Pick<DepInfo, 'allReads' | 'notCurrent'>, members: readonly WorkspaceCrate[], targetRel: string | null): OutsideReads {
  const keep = (path: string) => ownerOf(path, members) === null && !(targetRel !== null && targetRel !== '' && under(path, targetRel));
  const { files, folders } = deps.allReads();
  const gap = deps.notCurrent[0];
  return {
    files: [...new Set(files.filter((p) => p !== '' && keep(p) && plainName(p)))].sort(),
    // A folder with an unusual name cannot be matched exactly below it: the whole repository then.
    folders: [...new Set(folders.filter(keep).map((d) => (d === '' || plainName(d) ? d : '')))].sort(),
    complete: !gap,
    ...(gap ? { because: gap.why === 'missing' ? `${gap.crate} has no dep-info yet` : `the dep-info of ${gap.crate} is older than ${gap.file}` } : {}),
  };
}

/**
 * The outside reads of the repository at `root`, from the records in its target folder and the
 * members cargo metadata gave last time (cached by the manifests in the index). Runs no cargo:
 * members not cached yet make the answer "unknown", unless no crate exists at all.
 */
export async function loadOutsideReads(root: string, gitDir: string, env: NodeJS.ProcessEnv = process.env): Promise<OutsideReads> {
  const { indexManifests, readCachedMembers } = await import('./crates.js');
  const manifests = await indexManifests(root);
  if (!manifests.hasRoot || manifests.dirs.every((d) => d === '')) {
    // No Cargo.toml, or a root manifest alone: a virtual workspace with no member has no unit; a
    // root package turns the no-op path off elsewhere (checks/defs/rust.ts).
    return NO_READS;
  }
  const members = await readCachedMembers(gitDir, manifests.key);
  if (!members) return UNKNOWN_READS('the workspace members are not known yet (no cargo metadata since the manifests changed)');
  const { loadDepInfo, repoRelative, targetDirOf } = await import('./depInfo.js');
  const targetDir = await targetDirOf(root, env);
  const deps = await loadDepInfo({ repoRoot: root, targetDir, members });
  return outsideReads(deps, members, repoRelative(targetDir, root, root));
}
