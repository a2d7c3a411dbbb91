import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { cp, lstat, lutimes, mkdir, open, readlink, rename, rm, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { spawn } from 'node:child_process';

/*
 * The file operations the isolation is built from. Hiding is a rename (instant, atomic, keeps
 * contents, modes, symlink targets, folders and everything in them, whatever their size); only
 * when the backup lives on another file system does a copy stream across, into a temporary name
 * renamed into place.
 */

export async function fsyncPath(path: string, flags = constants.O_RDONLY): Promise<void> {
  const handle = await open(path, flags).catch(() => null);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    /* some file systems refuse fsync on a directory; the rename is still atomic */
  } finally {
    await handle.close();
  }
}

/** Whether two paths are on the same file system (rename works between them). */
export async function sameDevice(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([lstat(a), lstat(b)]);
  return sa.dev === sb.dev;
}

/**
 * Moves `from` to `to` (which must not exist): a rename, or across file systems a streamed copy to
 * `<to>.partial` renamed to `to`, and only then the removal of `from`.
 */
export async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  const partial = `${to}.partial`;
  await rm(partial, { recursive: true, force: true });
  // cp copies file and folder modes and symlinks as they are (verbatim), one stream per file.
  await cp(from, partial, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, errorOnExist: true, force: false });
  await fsyncPath(partial);
  await rename(partial, to);
  await rm(from, { recursive: true, force: true });
}

/** sha256 of a stream (no size limit). */
function hashStream(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    stream.on('data', (chunk) => hash.update(chunk as Buffer));
    stream.on('error', reject);
    stream.on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * What stands at a path, as one comparable string: kind, mode and content hash (streamed), a
 * symlink's target, or null when nothing is there.
 */
export async function fingerprint(path: string): Promise<string | null> {
  const stat = await lstat(path).catch(() => null);
  if (!stat) return null;
  if (stat.isSymbolicLink()) return `link:${await readlink(path)}`;
  if (stat.isDirectory()) return 'dir';
  const exec = stat.mode & 0o111 ? '755' : '644';
  return `${exec}:${await hashStream(createReadStream(path))}`;
}

/** The fingerprint of bytes about to be written as a regular file (the same string fingerprint() gives once they are). */
export function bytesFingerprint(content: Buffer, executable: boolean): string {
  return `${executable ? '755' : '644'}:${createHash('sha256').update(content).digest('hex')}`;
}

/**
 * The fingerprint git's index entry has once checked out at `path`: mode + the blob's bytes after
 * the path's smudge filters and eol conversion (`eol=crlf`, `core.autocrlf`), streamed.
 */
export async function blobFingerprint(root: string, mode: string, blob: string, path?: string): Promise<string | null> {
  const args = mode !== '120000' && path !== undefined ? ['cat-file', '--filters', `--path=${path}`, blob] : ['cat-file', 'blob', blob];
  const child = spawn('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] });
  const closed = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
  if (mode === '120000') {
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    return (await closed) === 0 ? `link:${Buffer.concat(chunks).toString('utf8')}` : null;
  }
  const hash = hashStream(child.stdout);
  const code = await closed;
  return code === 0 ? `${mode === '100755' ? '755' : '644'}:${await hash}` : null;
}

/** Makes a put-back file look newer than anything cargo built while it was hidden. */
export async function touch(path: string): Promise<void> {
  const now = new Date();
  await lutimes(path, now, now).catch(() => {});
}

/** Bytes free for an unprivileged writer on the file system holding `path`, or null if unknown. */
export async function freeBytes(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}
