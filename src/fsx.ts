import { access, readFile } from 'node:fs/promises';

/** Whether a path exists (any kind of file); never throws. */
export function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** A file's text, or null when it does not exist; other errors (permissions) still throw. */
export function readTextOrNull(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw error;
  });
}
