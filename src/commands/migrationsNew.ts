import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { loadConfig } from '../config.js';
import { GuardError, UsageError } from '../errors.js';
import { BlobReader, commitSource, repoPaths, WORKTREE } from '../git.js';
import { byVersion, folderWidth, parseMigrationName, schemeOf, slugify, type Scheme } from '../migrations/names.js';
import { resolveProtectedRef } from '../migrations/protectedRef.js';
import { includeLiteral, pickRegistry } from '../migrations/registry.js';
import { dirOf, folderMatcher, foldersIn, listSource, readFiles } from '../migrations/state.js';
import { templateHeader } from '../migrations/template.js';
import type { Migration } from '../migrations/types.js';

/*
 * `loom-guard migrations new <name>`: the next file in the migrations folder, named by the scheme
 * (config `naming`). The version is above the highest of the folder as it is on disk (untracked
 * files included) and of the protected ref, so a migration a teammate already pushed is never reused:
 *   loom      one above, at the folder's width: 007_add_clips.sql
 *   sqlx      a UTC timestamp YYYYMMDDHHMMSS, or one above when the folder numbers sequentially (the
 *             two newest versions are one apart), as sqlx-cli's `migrate add` decides; an .up/.down
 *             pair when the newest migration is one
 *   refinery  one above, at the folder's width: V8__add_clips.sql
 */

const HELP = 'loom-guard migrations new "add clips table"';

export async function run(args: ParsedArgs): Promise<number> {
  const name = args.positionals.join(' ').trim();
  if (!name) throw new UsageError(`migrations new: name the migration, e.g. ${HELP}`);
  const slug = slugify(name);
  if (!slug) throw new UsageError(`migrations new: "${name}" has no letters or digits to name the file with, e.g. ${HELP}`);

  const paths = await repoPaths(process.cwd());
  const { config } = await loadConfig(paths.root);
  const listing = await listSource(paths.root, WORKTREE);
  const folder = await chooseFolder(paths.root, args.flags.folder, config.migrations, listing);

  const scheme = schemeOf(config.naming);
  const local = numbered(listing.filter((p) => dirOf(p) === folder), scheme);
  const protectedRef = await resolveProtectedRef(paths.root, config);
  const onRef = protectedRef.ref ? numbered((await listSource(paths.root, commitSource(protectedRef.commit))).filter((p) => dirOf(p) === folder), scheme) : [];
  const files = nextFiles(scheme, slug, local, onRef, new Date());

  await mkdir(join(paths.root, folder), { recursive: true });
  const created: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const path = folder === '.' ? file : `${folder}/${file}`;
      const header = templateHeader(file, name, scheme.id === 'loom' ? 'loom' : i === 0 ? 'once' : 'revert');
      await writeFile(join(paths.root, path), header, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') throw new GuardError(`migrations new: ${path} already exists: choose another name`);
        throw error;
      });
      created.push(path);
    }
  } catch (error) {
    // Both halves of a pair or neither: a lone .down.sql would be blocked.
    for (const path of created) await rm(join(paths.root, path), { force: true });
    throw error;
  }
  const path = created[0] as string;

  const registry = await registryFor(paths.root, config.registry, folder, listing);
  const literal = includeLiteral(registry.path, path);
  const out = process.stdout;
  for (const p of created) out.write(`created ${p}\n`);
  if (protectedRef.ref === null) out.write(`numbered from the local folder only: ${protectedRef.note}\n`);
  if (registry.found || scheme.id === 'loom') {
    out.write(`${registry.found ? `register it in ${registry.path}` : `register it where the server embeds migrations (no include_str! list found; e.g. ${registry.path})`}:\n`);
    out.write(`    include_str!("${literal}"),\n`);
  } else {
    out.write(`no include_str! list found: ${scheme.id === 'sqlx' ? 'sqlx::migrate!()' : 'refinery::embed_migrations!()'} picks it up from the folder\n`);
  }
  out.write('then run: loom-guard nix update   (the migration is embedded: Cargo.nix must carry its stamp)\n');
  return 0;
}

function numbered(paths: string[], scheme: Scheme): Migration[] {
  return paths.map((p) => parseMigrationName(p, scheme)).filter((m): m is Migration => m !== null);
}

/** `YYYYMMDDHHMMSS` in UTC, as sqlx-cli names a migration. */
export const utcTimestamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14);

/** The file (or sqlx up/down pair) `migrations new` creates. Pure, for the tests. */
export function nextFiles(scheme: Scheme, slug: string, local: Migration[], onRef: Migration[], now: Date): string[] {
  const versions = byVersion([...local, ...onRef].filter((m) => m.kind !== 'down'));
  const newest = versions[versions.length - 1];
  const highest = newest?.number ?? 0n;
  const sample = local.length ? local : onRef;
  if (scheme.id === 'loom') return [scheme.format(highest + 1n, folderWidth(sample), slug, 'plain')];
  if (scheme.id === 'refinery') return [scheme.format(highest + 1n, sample.length ? folderWidth(sample) : 1, slug, 'plain')];
  const previous = versions[versions.length - 2];
  const sequential = newest !== undefined && (previous ? newest.number - previous.number === 1n : newest.number === 1n);
  let number = sequential ? highest + 1n : BigInt(utcTimestamp(now));
  if (number <= highest) number = highest + 1n;
  const width = sequential && newest ? newest.digits.length : 0;
  if (newest?.kind !== 'up') return [scheme.format(number, width, slug, 'plain')];
  return [scheme.format(number, width, slug, 'up'), scheme.format(number, width, slug, 'down')];
}

async function chooseFolder(root: string, flag: ParsedArgs['flags'][string], globs: string[], listing: string[]): Promise<string> {
  if (typeof flag === 'string') {
    const folder = posix.normalize(flag.replace(/\\/g, '/')).replace(/\/+$/, '');
    if (folder.startsWith('../') || posix.isAbsolute(folder)) {
      throw new UsageError(`migrations new: --folder ${flag} must be a folder inside the repository, relative to ${root}`);
    }
    return folder;
  }
  const folders = foldersIn(listing, await folderMatcher(globs));
  if (folders.length === 1) return folders[0] as string;
  if (!folders.length) {
    throw new UsageError(`migrations new: no migrations folder matches ${globs.join(', ') || '(none configured)'}: pass --folder <dir>`);
  }
  throw new UsageError(`migrations new: ${folders.length} migrations folders (${folders.join(', ')}): choose one with --folder <dir>`);
}

async function registryFor(root: string, configured: string | null, folder: string, listing: string[]): Promise<{ path: string; found: boolean }> {
  if (configured) return { path: configured, found: true };
  const crate = dirOf(folder);
  const prefix = crate === '.' ? 'src/' : `${crate}/src/`;
  const reader = new BlobReader(root);
  try {
    const rust = listing.filter((p) => p.startsWith(prefix) && p.endsWith('.rs'));
    const found = pickRegistry(folder, await readFiles(reader, WORKTREE, rust));
    if (found) return { path: found.path, found: true };
  } finally {
    reader.close();
  }
  return { path: `${prefix}lib.rs`, found: false };
}
