import { join } from 'node:path';
import type { Config } from '../config.js';
import { commitSource, type BlobReader, type Change, type Source } from '../git.js';
import type { CheckResult } from '../report.js';
import { checkNames, isApplied, looksLikeMigration, schemeOf, type NamingScheme } from '../migrations/names.js';
import { checkProtected } from '../migrations/protected.js';
import { resolveProtectedRef, type ProtectedRef } from '../migrations/protectedRef.js';
import { checkRegistry, parseRegistrations, pickRegistry, registrationsInto, type Registration } from '../migrations/registry.js';
import { describeFunction, replay } from '../migrations/replay.js';
import { isUnwrittenTemplate } from '../migrations/template.js';
import { dirOf, folderMatcher, foldersIn, listSource, readFiles, type FolderMatcher } from '../migrations/state.js';
import { formatFinding, type Finding, type RuleId, type SqlFile } from '../migrations/types.js';
import type { CheckContext, CheckGroupRun } from './types.js';

/*
 * The `migrations` check: names, numbering against the protected ref, edits to protected
 * migrations, include_str! registration and replay, for every migrations folder of the target
 * state. It reads only through ctx.reader, so the same code judges the index (pre-commit) and a
 * commit (pre-push). In the hooks it does work only when the change touches a migrations folder or
 * the registry file; `migrations check` forces it.
 */

const ID = 'migrations';

/** The registry file under a crate's src/ is found by content; these names are read first. */
const LIKELY_REGISTRY = /(^|\/)(db|database|migrat[a-z]*|schema|store|storage|sql)(\/|\.rs$)/i;

function crateSrc(path: string): string | null {
  const at = path.lastIndexOf('/src/');
  if (at >= 0) return path.slice(0, at);
  return path.startsWith('src/') ? '.' : null;
}

/** Does this Rust text include_str! a file inside a migrations folder? */
function registersMigrations(path: string, content: string | null, isFolder: FolderMatcher): boolean {
  if (!content || !content.includes('include_str!')) return false;
  return parseRegistrations(path, content).some((r) => isFolder(dirOf(r.path)));
}

/** Whether the change touches a migrations folder or the file that registers migrations. */
export async function touchesMigrations(
  changes: Change[],
  config: Pick<Config, 'registry'>,
  isFolder: FolderMatcher,
  reader: BlobReader,
  target: Source,
  base: Source | null,
): Promise<boolean> {
  const rust: string[] = [];
  for (const c of changes) {
    for (const p of [c.path, c.oldPath]) {
      if (!p) continue;
      if (isFolder(dirOf(p))) return true;
      if (config.registry !== null && p === config.registry) return true;
      if (config.registry === null && p.endsWith('.rs') && crateSrc(p) !== null) rust.push(p);
    }
  }
  // Without a configured registry, a Rust file is the registry when it (before or after) embeds a
  // migration: reading the changed Rust files of the change is the only way to know.
  for (const p of rust) {
    const [now, before] = await Promise.all([reader.readText(target, p), base ? reader.readText(base, p) : null]);
    if (registersMigrations(p, now, isFolder) || registersMigrations(p, before, isFolder)) return true;
  }
  return false;
}

interface RegistryFound {
  path: string;
  registrations: Registration[];
}

async function findRegistry(ctx: CheckContext, folder: string, listing: string[]): Promise<RegistryFound | Finding | null> {
  const { config, reader, target } = ctx;
  if (config.registry !== null) {
    const content = await reader.readText(target, config.registry);
    if (content === null) {
      return { rule: 'registry', file: config.registry, severity: 'error', message: 'is the configured registry (config "registry") but does not exist: fix the path in the config or set it to null' };
    }
    return { path: config.registry, registrations: registrationsInto(folder, parseRegistrations(config.registry, content)) };
  }
  const found = await discoverRegistry(reader, target, folder, listing);
  const src = srcPrefix(folder);
  if (found || !ctx.base || !ctx.changes.some((c) => c.path.startsWith(src) && c.path.endsWith('.rs'))) return found;
  // A registry whose every include_str! of the folder was removed in this change is still the
  // registry: find it in the base state and judge its target content.
  const before = await discoverRegistry(reader, ctx.base, folder, await listSource(ctx.paths.root, ctx.base));
  if (!before) return null;
  const content = await reader.readText(target, before.path);
  return content === null ? null : { path: before.path, registrations: registrationsInto(folder, parseRegistrations(before.path, content)) };
}

const srcPrefix = (folder: string) => {
  const crate = dirOf(folder);
  return crate === '.' ? 'src/' : `${crate}/src/`;
};

async function discoverRegistry(reader: BlobReader, source: Source, folder: string, listing: string[]): Promise<RegistryFound | null> {
  const prefix = srcPrefix(folder);
  const rust = listing.filter((p) => p.startsWith(prefix) && p.endsWith('.rs'));
  const likely = rust.filter((p) => LIKELY_REGISTRY.test(p.slice(prefix.length)));
  const first = pickRegistry(folder, await readFiles(reader, source, likely));
  if (first) return first;
  const rest = rust.filter((p) => !likely.includes(p));
  return pickRegistry(folder, await readFiles(reader, source, rest));
}

/**
 * A comment-only migration the registry embeds is a deliberate placeholder (a number kept, a
 * migration withdrawn): removing it breaks the build, and it runs as nothing. A warning, then; an
 * unregistered one still blocks.
 */
function registeredPlaceholder(f: Finding, registry: RegistryFound | Finding | null, content: string): Finding {
  if (!registry || 'rule' in registry || !/^file holds only comments/.test(f.message)) return f;
  // The header `migrations new` wrote, and nothing else: not a placeholder, a migration to write.
  if (isUnwrittenTemplate(f.file.slice(f.file.lastIndexOf('/') + 1), content)) return f;
  const line = registry.registrations.find((r) => r.path === f.file)?.line;
  if (line === undefined) return f;
  return { ...f, severity: 'warning', message: `file holds only comments, no SQL statement: ${registry.path}:${line} embeds it, so it stays; it runs as nothing at every start-up` };
}

interface FixContext {
  ref: string | null;
  registries: string[];
  naming: NamingScheme;
  replay: Config['replay'];
  /** The blocking findings of the names rule. */
  names: Finding[];
  /** Folders whose files follow another scheme, with that scheme. */
  better: Array<{ folder: string; scheme: NamingScheme }>;
  /** The blocking findings of the rule being fixed. */
  findings: Finding[];
}

const EMPTY = /^file (is empty|holds only comments)/;
const DOWN = /^is a (down migration without an up|second down migration)/;

function namesFix(c: FixContext): string {
  if (c.better.length) {
    const [first] = c.better as [{ folder: string; scheme: NamingScheme }];
    return `the files in ${first.folder} follow ${first.scheme} naming, not ${c.naming}: set "naming": "${first.scheme}" in .loom-guard.json (or rename them)`;
  }
  // A lone or second down file has a fine name: what it needs is its up, or to go.
  const downs = c.names.filter((f) => DOWN.test(f.message));
  const misnamed = c.names.filter((f) => !EMPTY.test(f.message) && !DOWN.test(f.message));
  const rest = downs.length ? ['add the up migration of each down file named above, or remove the down file'] : [];
  if (c.names.some((f) => EMPTY.test(f.message))) rest.push('write the migrations named above or remove them');
  if (!misnamed.length) return rest.join('; ');
  return [misnamedFix(c, misnamed), ...rest].join('; ');
}

function misnamedFix(c: FixContext, misnamed: Finding[]): string {
  // "As shown" only when every misnamed file was shown a name to take.
  return misnamed.every((f) => f.rename !== undefined) ? 'rename the files as shown (git mv)' : `name the files as ${schemeOf(c.naming).pattern} (git mv)`;
}

const FIXES: Record<RuleId, (c: FixContext) => string> = {
  names: namesFix,
  protected: ({ ref }) =>
    `leave what is on ${ref} as it is and put changes in a new migration (loom-guard migrations new <name>); to override once: LOOM_GUARD_SKIP=migrations`,
  registry: ({ registries }) => `fix the include_str! lines in ${registries.join(', ') || 'the registry file'}`,
  replay: replayFix,
};

/** The fix for the replay's findings, by kind: a statement reaching a file, one that never ends, one that fails the first time, the rest. */
function replayFix({ replay, findings }: FixContext): string {
  const out: string[] = [];
  const sealed = findings.filter((f) => / reaches outside the database: /.test(f.message));
  const slow = findings.filter((f) => / never finished: /.test(f.message));
  const binary = findings.filter((f) => /^holds binary data/.test(f.message));
  const base = findings.filter((f) => /config "replayBase"|"replayBase" but/.test(f.message));
  // A statement that fails the first time is broken SQL (or runs out of order), not a replay
  // problem: "make it idempotent" would send its author the wrong way.
  const fresh = findings.filter((f) => / fails on a fresh database: | is never closed: /.test(f.message));
  const rest = findings.length - sealed.length - slow.length - binary.length - base.length - fresh.length;
  if (sealed.length) out.push('take the statements named above (ATTACH, DETACH, VACUUM INTO, load_extension(), PRAGMA temp_store_directory) out of the migrations');
  if (slow.length) out.push('give the queries named above an end (a WHERE or LIMIT on the recursion), or raise "replayTimeoutMs" if they are only slow');
  if (binary.length) out.push('restore the SQL text of the binary files named above, or remove them');
  if (base.length) out.push('fix the base schema files of "replayBase"');
  if (fresh.length) {
    out.push('make the SQL named above run on a fresh database after the migrations before it (tables a migration uses but no migration creates go in "replayBase")');
  }
  if (rest > 0) {
    out.push(
      replay === 'once'
        ? 'fix the statements named above: each must run on the database the migrations before it leave'
        : 'make the statements named above safe to run at every start-up (CREATE … IF NOT EXISTS, INSERT OR IGNORE)',
    );
  }
  return out.join('; ');
}

export interface MigrationsCheckOptions {
  /** Run even when the change touches no migration (the `migrations check` command). */
  force: boolean;
}

export async function checkMigrations(ctx: CheckContext, options: MigrationsCheckOptions): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const { config, paths, reader, target } = ctx;
  const isFolder = await folderMatcher(config.migrations);
  if (!options.force && !ctx.whole && !(await touchesMigrations(ctx.changes, config, isFolder, reader, target, ctx.base))) {
    return { id: ID, status: 'inactive', summary: 'no migration changes', durationMs: elapsed() };
  }

  const listing = await listSource(paths.root, target);
  const deleted = ctx.changes.filter((c) => c.status === 'D' || c.status === 'R').map((c) => c.oldPath ?? c.path);
  const folders = foldersIn([...listing, ...deleted], isFolder);
  if (!folders.length) {
    return { id: ID, status: 'inactive', summary: `no migrations folder (${config.migrations.join(', ') || 'none configured'})`, durationMs: elapsed() };
  }

  const protectedRef: ProtectedRef = await resolveProtectedRef(paths.root, config);
  if (protectedRef.ref === null) ctx.reporter.note(`migrations: ${protectedRef.note}; numbering and edit rules skipped`);
  const protectedListing = protectedRef.ref ? await listSource(paths.root, commitSource(protectedRef.commit)) : [];

  const changed = new Set(ctx.changes.filter((c) => c.status !== 'D').map((c) => c.path));
  const findings: Finding[] = [];
  const registries: string[] = [];
  const better: FixContext['better'] = [];
  let total = 0;
  // Config `replayBase`: read from the judged state like the migrations; a missing file is the config's fault.
  const base: SqlFile[] = [];
  if (config.replay !== 'off') {
    const read = await readFiles(reader, target, config.replayBase);
    for (const path of config.replayBase) {
      if (!read.some((f) => f.path === path)) findings.push({ rule: 'replay', file: path, severity: 'error', message: 'is listed in the config\'s "replayBase" but does not exist: fix the path in .loom-guard.json or remove it from "replayBase"' });
    }
    base.push(...read);
  }
  for (const folder of folders) {
    const files = await readFiles(reader, target, listing.filter((p) => dirOf(p) === folder));
    const names = checkNames(files, { scheme: config.naming, gaps: config.gaps, isChanged: (path) => changed.has(path) });
    const registry = await findRegistry(ctx, folder, listing);
    findings.push(...names.findings.map((f) => registeredPlaceholder(f, registry, files.find((x) => x.path === f.file)?.content ?? '')));
    if (names.betterScheme) better.push({ folder, scheme: names.betterScheme });
    // What the server applies: sqlx's .down.sql files run only on revert, never on start-up.
    const applied = names.migrations.filter(isApplied);
    total += applied.length;

    if (protectedRef.ref) {
      const refFiles = await readFiles(
        reader,
        commitSource(protectedRef.commit),
        protectedListing.filter((p) => dirOf(p) === folder && looksLikeMigration(p)),
      );
      findings.push(
        ...checkProtected({
          ref: protectedRef.ref,
          target: names.migrations,
          targetContent: new Map(files.filter((f) => changed.has(f.path)).map((f) => [f.path, f.content])),
          protectedFiles: refFiles,
          changes: ctx.changes.filter((c) => dirOf(c.path) === folder || (c.oldPath !== undefined && dirOf(c.oldPath) === folder)),
          width: names.width,
          allowEdits: config.allowEdits,
          scheme: config.naming,
        }),
      );
    }

    if (registry && 'rule' in registry) {
      findings.push(registry);
    } else if (registry) {
      registries.push(registry.path);
      findings.push(
        ...checkRegistry({
          registryPath: registry.path,
          registrations: registry.registrations,
          migrations: applied,
          existing: new Set(files.map((f) => f.path)),
        }),
      );
    }

    if (config.replay !== 'off') {
      const content = new Map(files.map((f) => [f.path, f.content]));
      const ordered: SqlFile[] = applied.map((m) => ({ path: m.path, content: content.get(m.path) ?? '' }));
      findings.push(
        ...(await replay(ordered, {
          mode: config.replay,
          changed,
          functions: config.replayFunctions,
          base,
          budget: { statementMs: config.replayTimeoutMs.statement, runMs: config.replayTimeoutMs.run },
          cacheDir: join(paths.commonDir, 'loom-guard', 'replay-cache'),
        })),
      );
    }
  }

  const errors = findings.filter((f) => f.severity === 'error');
  const warnings = findings.filter((f) => f.severity === 'warning');
  const replayed = config.replay === 'loom' ? ', replayed twice' : config.replay === 'once' ? ', applied once' : '';
  const stubbed = config.replay !== 'off' && config.replayFunctions.length ? ` (stubbed: ${config.replayFunctions.map(describeFunction).join(', ')})` : '';
  const where = folders.length === 1 ? folders[0] : `${folders.length} folders`;
  const details = [...errors, ...warnings].map(formatFinding).join('\n');
  if (errors.length) {
    const rules = [...new Set(errors.map((f) => f.rule))];
    return {
      id: ID,
      status: 'fail',
      summary: `${errors.length} problem${errors.length === 1 ? '' : 's'} in ${where}`,
      details,
      fix: rules
        .map((r) =>
          FIXES[r]({
            ref: protectedRef.ref,
            registries: [...new Set(registries)],
            naming: config.naming,
            replay: config.replay,
            names: errors.filter((f) => f.rule === 'names'),
            better,
            findings: errors.filter((f) => f.rule === r),
          }),
        )
        .join('; '),
      durationMs: elapsed(),
    };
  }
  return {
    id: ID,
    status: warnings.length ? 'warn' : 'pass',
    summary: `${total} migration${total === 1 ? '' : 's'} in ${where}${config.naming === 'loom' ? '' : ` (${config.naming} naming)`}${replayed}${stubbed}`,
    ...(warnings.length ? { details } : {}),
    durationMs: elapsed(),
  };
}

export const runGroup: CheckGroupRun = async (ctx) => [await checkMigrations(ctx, { force: false })];
