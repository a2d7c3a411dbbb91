import type { CheckId } from '../checkIds.js';
import { GuardError } from '../errors.js';
import { gitText, listFiles, type BlobReader, type Change, type Source } from '../git.js';
import { checkNixSync, type ManifestChange, type NixSyncInput, type NixSyncResult } from '../nix/rules.js';
import type { ResourceFile } from '../nix/stamp.js';
import { readLockHash } from '../nix/lockHash.js';
import type { ManifestText } from '../nix/required.js';
import type { CheckResult } from '../report.js';
import type { CheckContext, CheckGroupRun } from './types.js';

export const CARGO_NIX = 'Cargo.nix';
export const CARGO_LOCK = 'Cargo.lock';

const isManifest = (path: string) => path === 'Cargo.toml' || path.endsWith('/Cargo.toml');

export type PathMatcher = (path: string) => boolean;

export async function resourceMatcher(globs: string[]): Promise<PathMatcher> {
  if (!globs.length) return () => false;
  const { default: picomatch } = await import('picomatch');
  return picomatch(globs, { dot: true });
}

/** Every file of a source; the working tree is its tracked and untracked, not ignored, files. */
export async function listSourceFiles(root: string, source: Source): Promise<string[]> {
  if (source.kind === 'index') return listFiles(root, null);
  if (source.kind === 'commit') return listFiles(root, source.rev);
  const out = await gitText(root, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
  return [...new Set(out.split('\0').filter(Boolean))];
}

/** The resource files of a source, with their contents (deleted working-tree files are left out). */
export async function readResources(reader: BlobReader, root: string, source: Source, matches: PathMatcher): Promise<ResourceFile[]> {
  const paths = (await listSourceFiles(root, source)).filter(matches);
  const files = await Promise.all(paths.map(async (path) => ({ path, content: await reader.read(source, path) })));
  return files.filter((f): f is ResourceFile => f.content !== null);
}

/** Whether a change can matter to nix-sync: the lock, Cargo.nix, a manifest or a resource. */
export function touchesNixSync(changes: Change[], matches: PathMatcher): boolean {
  return changes.some((c) =>
    [c.path, c.oldPath].some((p) => p !== undefined && (p === CARGO_LOCK || p === CARGO_NIX || isManifest(p) || matches(p))),
  );
}

export interface GatherOptions {
  reader: BlobReader;
  root: string;
  target: Source;
  base: Source | null;
  /** What changed from base to target; null judges the target state on its own. */
  changes: Change[] | null;
  matches: PathMatcher;
}

/** Reads what the rule needs; null when the target has no Cargo.nix (the check is inactive). */
export async function gatherNixSync(o: GatherOptions): Promise<NixSyncInput | null> {
  // Started together: listing the resources is a git process of its own, the reads share cat-file.
  const [nixNew, lockNew, resourcesNew] = await Promise.all([
    // Bytes: the rule decodes them only when it must (rules.ts).
    o.reader.read(o.target, CARGO_NIX),
    o.reader.read(o.target, CARGO_LOCK),
    readResources(o.reader, o.root, o.target, o.matches),
  ]);
  if (nixNew === null) return null;
  // Only a Cargo.nix without lock hash needs every manifest (which missing crates are required).
  const workspaceManifests = readLockHash(nixNew) === null ? await readManifests(o.reader, o.root, o.target) : undefined;
  if (o.changes === null) {
    return {
      compare: false,
      lock: { old: null, new: lockNew },
      nix: { old: null, new: nixNew },
      manifests: [],
      resources: { old: null, new: resourcesNew },
      workspaceManifests,
    };
  }
  const base = o.base;
  const readBase = (path: string) => (base ? o.reader.read(base, path) : Promise.resolve(null));
  const manifests: ManifestChange[] = await Promise.all(
    o.changes
      .filter((c) => isManifest(c.path) || (c.oldPath !== undefined && isManifest(c.oldPath)))
      .map(async (c) => ({
        path: c.path,
        old: base ? await o.reader.readText(base, c.oldPath ?? c.path) : null,
        new: c.status === 'D' ? null : await o.reader.readText(o.target, c.path),
      })),
  );
  const resourcesChanged = o.changes.some((c) => o.matches(c.path) || (c.oldPath !== undefined && o.matches(c.oldPath)));
  const resourcesOld = !resourcesChanged ? resourcesNew : base ? await readResources(o.reader, o.root, base, o.matches) : [];
  const lockOld = await readBase(CARGO_LOCK);
  // Not among the changes: the very bytes read above, not read again.
  const nixTouched = o.changes.some((c) => c.path === CARGO_NIX || c.oldPath === CARGO_NIX);
  const nixOld = nixTouched ? await readBase(CARGO_NIX) : nixNew;
  return {
    compare: true,
    lock: { old: lockOld, new: lockNew },
    nix: { old: nixOld, new: nixNew },
    manifests,
    resources: { old: resourcesOld, new: resourcesNew },
    workspaceManifests,
  };
}

/** Every Cargo.toml of a source with its text. */
async function readManifests(reader: BlobReader, root: string, source: Source): Promise<ManifestText[]> {
  const paths = (await listSourceFiles(root, source)).filter(isManifest);
  const texts = await Promise.all(paths.map(async (path) => ({ path, text: await reader.readText(source, path) })));
  return texts.filter((m): m is ManifestText => m.text !== null);
}

/** A rule result as the reporter's check line. */
export function toCheckResult(result: NixSyncResult, durationMs: number): CheckResult {
  if (result.verdict === 'out-of-sync') {
    return {
      id: 'nix-sync',
      status: 'fail',
      summary: result.summary,
      details: result.findings.map((f) => f.message).join('\n'),
      fix: result.fix,
      durationMs,
    };
  }
  // The hook cannot do better than the legacy rule on an old Cargo.nix: that is a pass there.
  const summary = result.verdict === 'in-sync' ? result.summary : 'no lock hash in Cargo.nix; crates agree';
  // Crates only in Cargo.lock (legacy rule) are a warning, never a block.
  if (result.warnings.length) return { id: 'nix-sync', status: 'warn', summary, details: result.warnings.join('\n'), durationMs };
  return { id: 'nix-sync', status: 'pass', summary, durationMs };
}

/**
 * The rule on a state alone (`check --all`): the lock hash against its Cargo.lock, the stamp against
 * its resources, the legacy crate sets; a state whose resources carry no stamp at all is a warning
 * (its next resource change will be blocked), as in doctor.
 */
async function wholeNixSync(ctx: CheckContext, matches: PathMatcher, elapsed: () => number): Promise<CheckResult> {
  const input = await gatherNixSync({ reader: ctx.reader, root: ctx.paths.root, target: ctx.target, base: null, changes: null, matches });
  if (input === null) return { id: 'nix-sync', status: 'inactive', summary: 'no Cargo.nix', durationMs: elapsed() };
  const rule = checkNixSync(input);
  const result = toCheckResult(rule, elapsed());
  if (result.status === 'fail' || rule.stamp.recorded !== null || rule.stamp.actual.files === 0) return result;
  const unstamped = `Cargo.nix carries no resources stamp for the ${rule.stamp.actual.files} resource files: the next change to them is blocked until it does (loom-guard nix update)`;
  return { ...result, status: 'warn', details: [result.details, unstamped].filter(Boolean).join('\n') };
}

export async function nixSyncCheck(ctx: CheckContext): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  try {
    const matches = await resourceMatcher(ctx.config.resources);
    if (ctx.whole) return await wholeNixSync(ctx, matches, elapsed);
    if (!touchesNixSync(ctx.changes, matches)) {
      const present = (await ctx.reader.read(ctx.target, CARGO_NIX)) !== null;
      return present
        ? { id: 'nix-sync', status: 'pass', summary: 'no Cargo or resource change', durationMs: elapsed() }
        : { id: 'nix-sync', status: 'inactive', summary: 'no Cargo.nix', durationMs: elapsed() };
    }
    const input = await gatherNixSync({
      reader: ctx.reader,
      root: ctx.paths.root,
      target: ctx.target,
      base: ctx.base,
      changes: ctx.changes,
      matches,
    });
    if (input === null) return { id: 'nix-sync', status: 'inactive', summary: 'no Cargo.nix', durationMs: elapsed() };
    return toCheckResult(checkNixSync(input), elapsed());
  } catch (error) {
    if (error instanceof GuardError) return { id: 'nix-sync', status: 'fail', summary: error.message, durationMs: elapsed() };
    throw error;
  }
}

export const runNixSync: CheckGroupRun = async (ctx: CheckContext, ids: CheckId[]) =>
  ids.includes('nix-sync') ? [await nixSyncCheck(ctx)] : [];
