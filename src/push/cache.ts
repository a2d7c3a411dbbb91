import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { run } from '../proc.js';
import { version } from '../version.js';

/*
 * Which trees already passed which full-check steps. A record holds for one fingerprint: the
 * toolchain (`rustc -vV`), the effective config, the loom-guard version and RUSTFLAGS (which turn
 * warnings into errors or back). It lives in the git dir, so it is never committed, and it is
 * written whole to a temporary file and renamed, so a reader never sees half a file; a corrupt
 * or foreign file is ignored and rewritten. Concurrent runs may each drop the other's newest
 * entry: that costs one re-check, never a wrong pass.
 */

export const CACHE_FILE = 'push-cache.json';
const FORMAT = 1;
/** Enough for every branch anyone keeps around, small enough to rewrite on each push. */
const MAX_ENTRIES = 500;

interface CacheEntry {
  tree: string;
  fingerprint: string;
  steps: string[];
  at: number;
}

interface CacheFile {
  format: number;
  entries: CacheEntry[];
}

export async function toolchainFingerprint(cwd: string, config: Config, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let rustc: string;
  try {
    const result = await run('rustc', ['-vV'], { cwd, env });
    rustc = result.exitCode === 0 ? result.stdout.toString('utf8') : `rustc failed: ${result.all}`;
  } catch {
    rustc = 'rustc not found';
  }
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ rustc, config, version: version(), rustflags: env.RUSTFLAGS ?? '' }));
  return hash.digest('hex').slice(0, 32);
}

function isEntry(value: unknown): value is CacheEntry {
  if (!value || typeof value !== 'object') return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.tree === 'string' &&
    typeof e.fingerprint === 'string' &&
    typeof e.at === 'number' &&
    Array.isArray(e.steps) &&
    e.steps.every((s) => typeof s === 'string')
  );
}

/** Parses the file's text; anything unreadable is an empty cache. */
export function parseCache(text: string | null): CacheEntry[] {
  if (text === null) return [];
  try {
    const raw = JSON.parse(text) as Partial<CacheFile>;
    if (raw.format !== FORMAT || !Array.isArray(raw.entries)) return [];
    return raw.entries.filter(isEntry);
  } catch {
    return [];
  }
}

export class PushCache {
  private readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly fingerprint: string,
  ) {
    this.file = join(dir, CACHE_FILE);
  }

  private async load(): Promise<CacheEntry[]> {
    return parseCache(await readFile(this.file, 'utf8').catch(() => null));
  }

  /** The steps this tree already passed under the current fingerprint. */
  async passedSteps(tree: string): Promise<Set<string>> {
    const entry = (await this.load()).find((e) => e.tree === tree && e.fingerprint === this.fingerprint);
    return new Set(entry?.steps ?? []);
  }

  /** The first of `trees` that passed every one of `steps` under the current fingerprint, or null. */
  async firstPassed(trees: readonly string[], steps: readonly string[]): Promise<string | null> {
    const entries = await this.load();
    const passed = new Set(entries.filter((e) => e.fingerprint === this.fingerprint && steps.every((s) => e.steps.includes(s))).map((e) => e.tree));
    return trees.find((t) => passed.has(t)) ?? null;
  }

  /** Records that `tree` passed `steps` (added to what it passed before). */
  async record(tree: string, steps: string[]): Promise<void> {
    if (!steps.length) return;
    // Re-read just before writing, so a concurrent run's entries written meanwhile are kept.
    const entries = await this.load();
    const old = entries.find((e) => e.tree === tree && e.fingerprint === this.fingerprint);
    const merged = new Set([...(old?.steps ?? []), ...steps]);
    const rest = entries.filter((e) => e !== old && e.fingerprint === this.fingerprint);
    const next: CacheEntry[] = [{ tree, fingerprint: this.fingerprint, steps: [...merged].sort(), at: Date.now() }, ...rest].slice(
      0,
      MAX_ENTRIES,
    );
    const body: CacheFile = { format: FORMAT, entries: next };
    await mkdir(this.dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify(body)}\n`);
      await rename(tmp, this.file);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}
