import { appendFile, link, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fingerprint } from './fsops.js';
import { writeDurable } from './journal.js';

/*
 * The one way the hook writes into the working tree while the user may be working in it: compare
 * and swap. Every write names the fingerprints the hook itself put at that path (or none, when it
 * never wrote there); when the path holds anything else now, the user's bytes win: nothing is
 * written, and what the hook would have written goes to a named file under
 * .git/loom-guard/recovered-<time>/, listed in RECOVER.txt there. Writing where nothing stands never
 * overwrites anything, so a missing path is always fair game (a link, which fails if a save beat us).
 *
 * The comparison and the swap are two system calls: a save landing in the microseconds between
 * them is the one window left (POSIX has no compare-and-rename).
 */

/** A recovered-<time>/ folder, made on first use. */
export class Recovered {
  private dir: string | null = null;
  /** One line per file kept, for the report. */
  readonly lines: string[] = [];

  constructor(private readonly gitDir: string) {}

  /** Where the files kept by this run are (null: none yet). */
  get folder(): string | null {
    return this.dir;
  }

  private async folderFor(): Promise<string> {
    if (this.dir) return this.dir;
    const base = join(this.gitDir, 'loom-guard', `recovered-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(join(this.gitDir, 'loom-guard'), { recursive: true });
    for (let n = 0; ; n++) {
      const candidate = n ? `${base}-${n}` : base;
      const made = await mkdir(candidate).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      });
      if (made) return (this.dir = candidate);
    }
  }

  /** Keeps `content` as <folder>/<path>; returns that file's path. */
  async keep(path: string, content: Buffer, why: string, say?: (file: string) => string): Promise<string> {
    const dir = await this.folderFor();
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeDurable(file, content);
    const line = say ? say(file) : `${path}: ${why}; kept as it is; what loom-guard would have written there is in ${file}`;
    this.lines.push(line);
    await appendFile(join(dir, 'RECOVER.txt'), `${line}\n`);
    return file;
  }
}

export type CasOutcome = { written: true } | { written: false; kept: string };

let temps = 0;

async function writeTemp(near: string, content: Buffer, mode: number): Promise<string> {
  const temp = join(dirname(near), `.loom-guard-${process.pid}-${temps++}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}

/**
 * Writes `content` at root/path only while the path holds one of `ours` (fingerprints the hook put
 * there) or nothing; else keeps the current bytes and sets `content` aside in `recovered`.
 */
export async function casWrite(
  root: string,
  path: string,
  ours: ReadonlyArray<string | null | undefined>,
  content: Buffer,
  mode: number,
  recovered: Recovered,
  why: string,
): Promise<CasOutcome> {
  const target = join(root, path);
  const mine = new Set(ours.filter((o): o is string => typeof o === 'string'));
  const now = await fingerprint(target);
  const keep = async (): Promise<CasOutcome> => ({ written: false, kept: await recovered.keep(path, content, why) });
  if (now !== null && !mine.has(now)) return keep();
  await mkdir(dirname(target), { recursive: true });
  const temp = await writeTemp(target, content, mode);
  try {
    // Checked again right before the swap: a save while the temp file was written wins.
    if ((await fingerprint(target)) !== now) return await keep();
    if (now === null) {
      const linked = await link(temp, target).then(() => true, (error: NodeJS.ErrnoException) => {
        if (error.code === 'EEXIST') return false;
        throw error;
      });
      if (!linked) return await keep();
    } else {
      await rename(temp, target);
    }
    return { written: true };
  } finally {
    await rm(temp, { force: true });
  }
}

/** The mode a file gets: its present one, else the index entry's (executable or not). */
export async function modeFor(target: string, indexMode: string): Promise<number> {
  const stat = await lstat(target).catch(() => null);
  if (stat?.isFile()) return stat.mode & 0o7777;
  return indexMode === '100755' ? 0o755 : 0o644;
}
