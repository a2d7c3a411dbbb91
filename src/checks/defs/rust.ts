import type { DoctorProbe, GroupRunner, RelevanceFacts } from '../definition.js';

/*
 * What fmt, clippy, build and test share: they judge Rust code, run as one cargo group at
 * pre-commit, and doctor probes one toolchain for all of them.
 */

/** Root-level files that change how every crate builds, lints or formats. */
const TOOLCHAIN_FILES = ['Cargo.toml', 'Cargo.lock', 'rust-toolchain', 'rust-toolchain.toml', '.cargo/**', 'clippy.toml', '.clippy.toml', 'rustfmt.toml', '.rustfmt.toml'];

/**
 * Rust sources anywhere, the toolchain files, every workspace member folder and every folder
 * holding a Cargo.toml (path dependencies become members without being listed). A root package
 * makes the whole repository a crate: null, the no-op path is off.
 */
export function rustRelevant(facts: RelevanceFacts): string[] | null {
  const globs = ['*.rs', ...TOOLCHAIN_FILES];
  const manifest = facts.rootManifest;
  if (manifest) {
    if ('package' in manifest) return null;
    const workspace = manifest.workspace as { members?: unknown } | undefined;
    for (const member of Array.isArray(workspace?.members) ? workspace.members : []) {
      if (typeof member !== 'string') return null;
      globs.push(member, `${member}/**`);
    }
  }
  for (const dir of facts.manifestDirs) {
    if (!dir) continue;
    // A folder name with glob characters would match more than itself: only widening, but sh
    // would also read `[` specially, so such a name turns the no-op path off.
    if (/[*?[\]]/.test(dir)) return null;
    globs.push(dir, `${dir}/**`);
  }
  return globs;
}

export const cargoGroup: GroupRunner = { group: 'cargo', load: async () => (await import('../cargoStaged.js')).default, usesStagedTree: true };
export const cargoFilesGroup: GroupRunner = { group: 'cargo', load: async () => (await import('../cargoFiles.js')).default };

export const rustProbe: DoctorProbe = {
  key: 'rust',
  load: async () => {
    const { devFastProfile, rustToolchain } = await import('../../doctor/environment.js');
    return async (paths, config) => [...(await rustToolchain(paths.root)), ...(config ? await devFastProfile(paths.root, config.profile) : [])];
  },
};
