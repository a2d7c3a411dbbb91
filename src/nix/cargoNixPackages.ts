import { GuardError } from '../errors.js';
import type { LockedPackage } from './cargoLock.js';

/*
 * The package set of a Cargo.nix, read with two line-anchored patterns rather than a Nix parser:
 * every crate is defined as `"<source>".<name>."<version>" =` at the start of a line (after
 * indentation), in every cargo2nix layout from the header-less 0.5 files to 0.12, and in files a Nix
 * formatter rewrote (which moves `overridableMkRustCrate` to the next line but keeps the key on one).
 * References to other crates (`rustPackages."<source>".name."v"`) never start a line with a quote.
 * The crate's `sha256 = "<hex>"` is the first one after its key and before the next key.
 */

const ENTRY_RE = /^[ \t]*"([^"\n]+)"\.("?)([A-Za-z0-9_][A-Za-z0-9_.+-]*)\2\."([^"\n]+)"[ \t]*=/gm;
const SHA_RE = /\bsha256\s*=\s*"([0-9a-fA-F]{64})"/g;

export interface NixPackage extends LockedPackage {
  /** The source key cargo2nix used: "registry+https://…", "unknown" for workspace crates, "git+…". */
  source: string;
}

export function parseCargoNixPackages(cargoNix: string): NixPackage[] {
  const entries: Array<{ at: number; source: string; name: string; version: string }> = [];
  for (const m of cargoNix.matchAll(ENTRY_RE)) {
    entries.push({ at: m.index ?? 0, source: m[1] as string, name: m[3] as string, version: m[4] as string });
  }
  const shas: Array<{ at: number; hex: string }> = [];
  for (const m of cargoNix.matchAll(SHA_RE)) shas.push({ at: m.index ?? 0, hex: (m[1] as string).toLowerCase() });
  const out: NixPackage[] = [];
  let s = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as (typeof entries)[number];
    const end = entries[i + 1]?.at ?? cargoNix.length;
    while (s < shas.length && (shas[s] as { at: number }).at < entry.at) s++;
    const sha = shas[s];
    const checksum = sha && sha.at < end ? sha.hex : null;
    out.push({ source: entry.source, name: entry.name, version: entry.version, checksum });
  }
  return out;
}

/**
 * A Cargo.nix that is neither hash-stamped nor holds a single crate entry is not a cargo2nix file
 * (a bad merge, a truncated write): say so instead of comparing nothing with the lock.
 */
export function assertCargoNixShape(cargoNix: string, hasHash: boolean, packages: number, file = 'Cargo.nix'): void {
  if (hasHash || packages > 0) return;
  if (/^(<<<<<<<|>>>>>>>) /m.test(cargoNix)) {
    throw new GuardError(`${file}: has merge conflict markers: regenerate it with loom-guard nix update`);
  }
  throw new GuardError(`${file}: not a cargo2nix file (no nixifiedLockHash and no crate entries): regenerate it with loom-guard nix update`);
}
