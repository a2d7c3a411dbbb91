import { GuardError } from '../errors.js';
import { packageKey, parseCargoLock, type LockedPackage } from './cargoLock.js';
import { assertCargoNixShape, parseCargoNixPackages } from './cargoNixPackages.js';
import { lineOf, lockFileHash, readLockHash } from './lockHash.js';
import { bakedManifestChanges } from './manifest.js';
import { requiredMissing, type ManifestText } from './required.js';
import { computeStamp, formatStamp, readStamp, STAMP_PREFIX, type ResourceFile, type Stamp } from './stamp.js';

/*
 * The nix-sync rule, pure: file contents in, findings out. The caller decides where contents come
 * from (the index, a commit, the working tree). `compare` false judges one state on its own
 * (`nix check` on a clean tree): only what needs no "before" applies.
 */

export const NIX_FIX = 'loom-guard nix update, then git add Cargo.nix';

export interface ManifestChange {
  path: string;
  old: string | null;
  new: string | null;
}

export interface NixSyncInput {
  compare: boolean;
  lock: { old: Buffer | null; new: Buffer | null };
  /**
   * Cargo.nix; `new` exists (without it the check is inactive and the rule is not run). Bytes are
   * decoded only for a Cargo.nix without lock hash, whose crate set is read: a hash-stamped one of
   * 100 MB is judged from two lines and a comparison.
   */
  nix: { old: string | Buffer | null; new: string | Buffer };
  /** Changed Cargo.toml files (only read when compare is true). */
  manifests: ManifestChange[];
  /** Resource files; `old` null when not compared, or the same list when none changed. */
  resources: { old: ResourceFile[] | null; new: ResourceFile[] };
  /**
   * Every Cargo.toml of the judged state, read only for a Cargo.nix without lock hash: which
   * crates missing from it the workspace provably needs (required.ts). Absent: none is known.
   */
  workspaceManifests?: ManifestText[];
}

export type FindingKind = 'lock-hash' | 'lock-without-nix' | 'package-set' | 'manifest' | 'stamp';

export interface Finding {
  kind: FindingKind;
  /** The file at fault. */
  file: string;
  message: string;
}

export type Verdict = 'in-sync' | 'out-of-sync' | 'undetermined';

export interface NixSyncResult {
  verdict: Verdict;
  findings: Finding[];
  /** One short line: what was checked, or that it cannot tell. */
  summary: string;
  /** Why it cannot tell (verdict undetermined), else null. */
  reason: string | null;
  /** Not failures: a missing stamp, a legacy Cargo.nix. */
  notes: string[];
  /** Worth a ⚠ but never a block: crates only in Cargo.lock under the legacy rule. */
  warnings: string[];
  lockHash: { recorded: string; actual: string | null } | null;
  stamp: { recorded: Stamp | null; actual: Stamp };
  fix: string;
}

/** The first `limit` items and how many there are in all. */
export function firstOf(items: string[], limit = 10): string {
  const shown = items.slice(0, limit).join(', ');
  return items.length > limit ? `${shown}, … (${items.length} in all)` : shown;
}

const short = (hex: string) => hex.slice(0, 12);

export interface SetDifference {
  /** In Cargo.lock only: cargo2nix leaves out crates that no enabled feature uses, so not proof of drift. */
  lockOnly: string[];
  /** In Cargo.nix only: the Nix build would fetch crates the lock no longer has. */
  nixOnly: string[];
  checksum: string[];
  /** One line per kind, for messages. */
  lines: string[];
}

/** The differences between the package sets of Cargo.lock and Cargo.nix, one line each. */
export function packageSetDifferences(lock: LockedPackage[], nix: LockedPackage[]): string[] {
  return compareSets(lock, nix).lines;
}

export function compareSets(lock: LockedPackage[], nix: LockedPackage[]): SetDifference {
  const inLock = new Map(lock.map((p) => [packageKey(p), p]));
  const inNix = new Map(nix.map((p) => [packageKey(p), p]));
  const lockOnly = [...inLock.keys()].filter((k) => !inNix.has(k)).sort();
  const nixOnly = [...inNix.keys()].filter((k) => !inLock.has(k)).sort();
  const checksum: string[] = [];
  for (const [key, p] of inLock) {
    const q = inNix.get(key);
    if (q && p.checksum && q.checksum && p.checksum !== q.checksum) {
      checksum.push(`${key} (Cargo.lock ${short(p.checksum)}…, Cargo.nix ${short(q.checksum)}…)`);
    }
  }
  const lines: string[] = [];
  if (lockOnly.length) lines.push(`only in Cargo.lock (${lockOnly.length}): ${firstOf(lockOnly)}`);
  if (nixOnly.length) lines.push(`only in Cargo.nix (${nixOnly.length}): ${firstOf(nixOnly)}`);
  if (checksum.length) lines.push(`checksum differs (${checksum.length}): ${firstOf(checksum.sort())}`);
  return { lockOnly, nixOnly, checksum, lines };
}

/** Which resource files were added, removed or edited. */
function resourceDifferences(before: ResourceFile[], after: ResourceFile[]): string[] {
  const old = new Map(before.map((f) => [f.path, f.content]));
  const now = new Map(after.map((f) => [f.path, f.content]));
  const out: string[] = [];
  for (const [path, content] of now) {
    const prior = old.get(path);
    if (!prior) out.push(`${path} (added)`);
    else if (!prior.equals(content)) out.push(`${path} (edited)`);
  }
  for (const path of old.keys()) if (!now.has(path)) out.push(`${path} (removed)`);
  return out.sort();
}

function sameNix(a: string | Buffer | null, b: string | Buffer): boolean {
  if (a === null || a === b) return a === b;
  if (typeof a === 'string' && typeof b === 'string') return false;
  return (typeof a === 'string' ? Buffer.from(a) : a).equals(typeof b === 'string' ? Buffer.from(b) : b);
}

function sameBytes(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null || b === null) return a === b;
  return a.equals(b);
}

export function checkNixSync(input: NixSyncInput): NixSyncResult {
  const nixText = input.nix.new;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const lockChanged = input.compare && !sameBytes(input.lock.old, input.lock.new);
  const nixChanged = input.compare && !sameNix(input.nix.old, nixText);
  let undetermined: string | null = null;
  let lockHash: NixSyncResult['lockHash'] = null;
  const checked: string[] = [];

  const recorded = readLockHash(nixText);
  const actualHash = input.lock.new === null ? null : lockFileHash(input.lock.new);
  // A lock whose hash matches is the very file cargo2nix read, so it parsed then; any other changed
  // (or judged-alone) lock is parsed first, so a broken lock is reported as such, not as drift.
  const needsParse = input.lock.new !== null && (!input.compare || lockChanged) && (recorded === null || recorded !== actualHash);
  const lockPackages = needsParse ? parseCargoLock((input.lock.new as Buffer).toString('utf8')) : null;
  if (recorded !== null) {
    const actual = actualHash;
    lockHash = { recorded, actual };
    if (actual === null) {
      findings.push({ kind: 'lock-hash', file: 'Cargo.nix', message: `Cargo.nix records lock hash ${recorded} but there is no Cargo.lock` });
    } else if (actual !== recorded) {
      const why = lockChanged && !nixChanged ? ' (Cargo.lock changed, Cargo.nix did not)' : nixChanged && !lockChanged ? ' (Cargo.nix changed, Cargo.lock did not)' : '';
      findings.push({
        kind: 'lock-hash',
        file: 'Cargo.nix',
        message: `Cargo.nix ${recorded} is out of sync with Cargo.lock ${actual}${why}`,
      });
    } else {
      checked.push(`lock hash ${short(actual)}`);
    }
  } else {
    // Older cargo2nix: no hash, so the lock and Cargo.nix must change together and list the same crates.
    const text = nixText.toString('utf8');
    const nixPackages = parseCargoNixPackages(text);
    assertCargoNixShape(text, false, nixPackages.length);
    notes.push('Cargo.nix has no nixifiedLockHash (generated by cargo2nix before 0.12): regenerate with cargo2nix 0.12 for an exact check');
    if (input.lock.new === null) {
      findings.push({ kind: 'package-set', file: 'Cargo.nix', message: `Cargo.nix lists ${nixPackages.length} crates but there is no Cargo.lock` });
    } else {
      if (lockChanged && !nixChanged) {
        findings.push({
          kind: 'lock-without-nix',
          file: 'Cargo.nix',
          message: 'Cargo.lock changed but Cargo.nix did not (Cargo.nix has no lock hash, so both must change in the same commit)',
        });
      }
      const locked = lockPackages ?? parseCargoLock(input.lock.new.toString('utf8'));
      const diff = compareSets(locked, nixPackages);
      if (diff.nixOnly.length || diff.checksum.length) {
        // The lock-only line stays in the message: a version bump shows as one crate on each side.
        findings.push({ kind: 'package-set', file: 'Cargo.nix', message: `Cargo.lock and Cargo.nix list different crates: ${diff.lines.join('; ')}` });
      } else {
        // cargo2nix leaves out crates no enabled feature or target uses: a crate missing from Cargo.nix
        // is not proof of drift, and a correctly regenerated file must not be blocked for it; unless
        // a workspace crate needs it whatever the features (a non-optional dependency the lock records).
        const required = diff.lockOnly.length ? requiredMissing(input.lock.new.toString('utf8'), diff.lockOnly, input.workspaceManifests ?? []) : [];
        for (const r of required) {
          findings.push({
            kind: 'package-set',
            file: 'Cargo.nix',
            message: `Cargo.nix lacks ${r.key}, which ${r.chain.length > 2 ? `${r.chain[0]} needs through ${r.chain.slice(1, -1).join(' → ')}` : `${r.chain[0]} needs`} (${r.via}, not optional; Cargo.lock records the edge): regenerate Cargo.nix`,
          });
        }
        const requiredKeys = new Set(required.map((r) => r.key));
        const unused = diff.lockOnly.filter((k) => !requiredKeys.has(k));
        if (unused.length) {
          warnings.push(
            `${unused.length} crate${unused.length === 1 ? '' : 's'} only in Cargo.lock, not in Cargo.nix: ${firstOf(unused)} (cargo2nix leaves out crates no enabled feature uses; if one of them should be built, run loom-guard nix update)`,
          );
        }
        const inBoth = locked.length - diff.lockOnly.length;
        checked.push(diff.lockOnly.length ? `the ${inBoth} crates of Cargo.nix are in Cargo.lock` : `${locked.length} crates agree`);
        if (!lockChanged) {
          undetermined = `Cargo.nix has no nixifiedLockHash and Cargo.lock did not change: ${diff.lockOnly.length ? `the ${inBoth} crates of Cargo.nix are all in Cargo.lock` : `the ${locked.length} crates agree`}, but dependency edges and features cannot be compared without the hash`;
        }
      }
    }
  }

  for (const m of input.compare ? input.manifests : []) {
    // Parsed even when Cargo.nix changed, so a broken manifest is reported either way.
    const keys = bakedManifestChanges(m.old, m.new, m.path, m.path === 'Cargo.toml');
    if (keys.length && !nixChanged) {
      const what = m.old === null ? 'added' : m.new === null ? 'removed' : 'changed';
      findings.push({
        kind: 'manifest',
        file: m.path,
        message: `${m.path}: ${firstOf(keys)} ${what}, but Cargo.nix did not change (cargo2nix bakes ${keys.length === 1 ? 'it' : 'them'} into Cargo.nix)`,
      });
    }
  }

  const recordedStamp = readStamp(nixText);
  if (recordedStamp === null && nixText.includes(STAMP_PREFIX)) {
    throw new GuardError(`Cargo.nix:${lineOf(nixText, nixText.indexOf(STAMP_PREFIX))}: malformed resources stamp line: run loom-guard nix update to rewrite it`);
  }
  const actualStamp = computeStamp(input.resources.new);
  const stampOk = recordedStamp !== null && recordedStamp.sha256 === actualStamp.sha256;
  const changedResources = input.compare && input.resources.old ? resourceDifferences(input.resources.old, input.resources.new) : [];
  if (changedResources.length && !stampOk) {
    const has = recordedStamp ? `carries stamp sha256=${recordedStamp.sha256} files=${recordedStamp.files}` : 'carries no resources stamp';
    findings.push({
      kind: 'stamp',
      file: 'Cargo.nix',
      message: `embedded resources changed (${changedResources.length}): ${firstOf(changedResources)}; Cargo.nix ${has}, the staged resources need ${formatStamp(actualStamp).slice(STAMP_PREFIX.length + 1)}`,
    });
  } else if (recordedStamp && !stampOk) {
    findings.push({
      kind: 'stamp',
      file: 'Cargo.nix',
      message: `Cargo.nix resources stamp sha256=${recordedStamp.sha256} files=${recordedStamp.files} does not match the resources: sha256=${actualStamp.sha256} files=${actualStamp.files}`,
    });
  } else if (stampOk) {
    checked.push(`stamp ${short(actualStamp.sha256)}`);
  } else if (actualStamp.files > 0) {
    notes.push(`Cargo.nix carries no resources stamp for the ${actualStamp.files} resource files: loom-guard nix update records one`);
  }

  const verdict: Verdict = findings.length ? 'out-of-sync' : undetermined ? 'undetermined' : 'in-sync';
  const summary =
    verdict === 'out-of-sync'
      ? `Cargo.nix out of sync (${findings.length} finding${findings.length === 1 ? '' : 's'})`
      : verdict === 'undetermined'
        ? 'cannot tell: Cargo.nix has no lock hash and Cargo.lock did not change'
        : `Cargo.nix in sync${checked.length ? ` (${checked.join(', ')})` : ''}`;
  return { verdict, findings, summary, reason: verdict === 'undetermined' ? undetermined : null, notes, warnings, lockHash, stamp: { recorded: recordedStamp, actual: actualStamp }, fix: NIX_FIX };
}
