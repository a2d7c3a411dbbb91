import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { version } from '../version.js';
import type { ReplayFunction } from './replay.js';
import type { Plan } from './replayRun.js';
import type { Finding } from './types.js';

/*
 * Replay verdicts by content: the hash of the statements replayed (base and migrations, with their
 * paths and lines, which findings name), the mode, the stubbed functions, the budget, the engine
 * and its SQLite, and loom-guard's version. The same set judged again (pre-push after pre-commit,
 * `migrations check` after either) is not replayed, and the SQLite engine is not even loaded. One
 * small JSON file per verdict in <git common dir>/loom-guard/replay-cache; the newest few are kept.
 * A verdict with a timeout is never stored: it says as much about the machine's load as the SQL.
 */

/** Bumped when the replay's findings change for the same input. */
const FORMAT = 3;
const KEEP = 64;

export function replayKey(plan: Plan, functions: ReplayFunction[], engine: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: FORMAT, version: version(), engine, mode: plan.mode, budget: plan.budget, functions }));
  for (const file of [...plan.base, ...plan.files]) {
    hash.update(`\0file\0${file.path}\0`);
    for (const s of file.statements) hash.update(`${s.line}\0${s.sql}\0`);
  }
  return hash.digest('hex');
}

export class ReplayCache {
  constructor(private readonly dir: string) {}

  async get(key: string): Promise<Finding[] | null> {
    const text = await readFile(join(this.dir, `${key}.json`), 'utf8').catch(() => null);
    if (text === null) return null;
    try {
      const findings = JSON.parse(text) as unknown;
      return Array.isArray(findings) ? (findings as Finding[]) : null;
    } catch {
      return null; // a torn or foreign file is a miss, never an error
    }
  }

  /** Stores a verdict; a failure to write is only a miss next time. */
  async put(key: string, findings: Finding[]): Promise<void> {
    if (findings.some((f) => / never finished: /.test(f.message))) return;
    try {
      await mkdir(this.dir, { recursive: true });
      const tmp = join(this.dir, `.${key}.${process.pid}`);
      await writeFile(tmp, JSON.stringify(findings));
      await rename(tmp, join(this.dir, `${key}.json`));
      await this.prune();
    } catch {
      // A read-only git dir: the replay simply runs next time.
    }
  }

  private async prune(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => n.endsWith('.json'));
    if (names.length <= KEEP) return;
    const aged = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(this.dir, n)).catch(() => null))?.mtimeMs ?? 0 })));
    aged.sort((a, b) => b.t - a.t);
    await Promise.all(aged.slice(KEEP).map(({ n }) => rm(join(this.dir, n), { force: true })));
  }
}
