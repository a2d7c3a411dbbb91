import { mkdir, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { loadConfig } from '../config.js';
import { GuardError, UsageError } from '../errors.js';
import { BlobReader, commitSource, repoPaths, WORKTREE } from '../git.js';
import { folderWidth, pad, parseMigrationName, slugify } from '../migrations/names.js';
import { resolveProtectedRef } from '../migrations/protectedRef.js';
import { includeLiteral, pickRegistry } from '../migrations/registry.js';
import { dirOf, folderMatcher, foldersIn, listSource, readFiles } from '../migrations/state.js';
import type { Migration } from '../migrations/types.js';

/*
 * `loom-guard migrations new <name>`: the next-numbered file in the migrations folder. The number is
 * one above the highest of the folder as it is on disk (untracked files included) and of the
 * protected ref, so a migration a teammate already pushed is never reused.
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

  const local = numbered(listing.filter((p) => dirOf(p) === folder));
  const protectedRef = await resolveProtectedRef(paths.root, config);
  const onRef = protectedRef.ref ? numbered((await listSource(paths.root, commitSource(protectedRef.commit))).filter((p) => dirOf(p) === folder)) : [];
  const width = folderWidth(local.length ? local : onRef);
  const highest = Math.max(0, ...local.map((m) => m.number), ...onRef.map((m) => m.number));
  const file = `${pad(highest + 1, width)}_${slug}.sql`;
  const path = folder === '.' ? file : `${folder}/${file}`;

  await mkdir(join(paths.root, folder), { recursive: true });
  const header = `-- ${file}: ${name}\n-- Runs at every server start-up: keep it safe to replay (CREATE … IF NOT EXISTS, INSERT OR IGNORE).\n\n`;
  await writeFile(join(paths.root, path), header, { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new GuardError(`migrations new: ${path} already exists: choose another name`);
    throw error;
  });

  const registry = await registryFor(paths.root, config.registry, folder, listing);
  const literal = includeLiteral(registry.path, path);
  const out = process.stdout;
  out.write(`created ${path}\n`);
  if (protectedRef.ref === null) out.write(`numbered from the local folder only: ${protectedRef.note}\n`);
  out.write(`${registry.found ? `register it in ${registry.path}` : `register it where the server embeds migrations (no include_str! list found; e.g. ${registry.path})`}:\n`);
  out.write(`    include_str!("${literal}"),\n`);
  out.write('then run: loom-guard nix update   (the migration is embedded: Cargo.nix must carry its stamp)\n');
  return 0;
}

function numbered(paths: string[]): Migration[] {
  return paths.map((p) => parseMigrationName(p)).filter((m): m is Migration => m !== null);
}

async function chooseFolder(root: string, flag: string | boolean | undefined, globs: string[], listing: string[]): Promise<string> {
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
