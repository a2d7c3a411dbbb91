import { GuardError } from '../errors.js';
import { parseToml } from './toml.js';

/** One crate of a lock or Cargo.nix, identified by name and version; checksum only for registry crates. */
export interface LockedPackage {
  name: string;
  version: string;
  checksum: string | null;
}

/** Key of a package in a set: name and version (sources are spelt differently by cargo and cargo2nix). */
export const packageKey = (p: { name: string; version: string }): string => `${p.name} ${p.version}`;

const LOCK_FIX = 'fix it, or restore it (git checkout HEAD -- Cargo.lock) and let cargo rewrite it, then stage it again';

/*
 * Every Cargo.lock format: v1 keeps checksums apart in [metadata] as
 * "checksum <name> <version> (<source>)" = "<hex>"; unversioned v2, `version = 3` and `version = 4`
 * keep `checksum` on each [[package]].
 */
export function parseCargoLock(text: string, file = 'Cargo.lock'): LockedPackage[] {
  const doc = parseToml(text, file, LOCK_FIX);
  const version = doc.version;
  if (version !== undefined && (typeof version !== 'number' || version < 1 || version > 4)) {
    throw new GuardError(`${file}: lock format version ${String(version)} is not one loom-guard knows (1 to 4): upgrade loom-guard`);
  }
  const packages = doc.package ?? [];
  if (!Array.isArray(packages)) throw new GuardError(`${file}: "package" is not a list of [[package]] tables: ${LOCK_FIX}`);
  const metadata = (doc.metadata ?? {}) as Record<string, unknown>;
  const out: LockedPackage[] = [];
  for (const [index, entry] of packages.entries()) {
    const p = entry as Record<string, unknown>;
    if (typeof p.name !== 'string' || typeof p.version !== 'string') {
      throw new GuardError(`${file}: [[package]] number ${index + 1} has no name or version: ${LOCK_FIX}`);
    }
    let checksum = typeof p.checksum === 'string' ? p.checksum : null;
    if (checksum === null && typeof p.source === 'string') {
      const legacy = metadata[`checksum ${p.name} ${p.version} (${p.source})`];
      if (typeof legacy === 'string' && /^[0-9a-f]{64}$/.test(legacy)) checksum = legacy;
    }
    out.push({ name: p.name, version: p.version, checksum });
  }
  return out;
}
