import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { CARGO_LOCK, CARGO_NIX, readResources, resourceMatcher } from '../checks/nixSync.js';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { BlobReader, repoPaths, WORKTREE } from '../git.js';
import { lockFileHash, readLockHash } from '../nix/lockHash.js';
import { computeStamp, formatStamp, writeStamp } from '../nix/stamp.js';
import { commandExists, run as runProcess } from '../proc.js';
import { Reporter } from '../report.js';

/*
 * `loom-guard nix update`, the cargo2nix-update equivalent: regenerate Cargo.nix when a generator
 * is at hand, then record the resources stamp of the working tree. Without a generator the stamp
 * is only written when the lock hash already proves Cargo.nix matches Cargo.lock.
 */

const CARGO2NIX_UPDATE = ['cargo2nix-update'];
const CARGO2NIX = ['cargo2nix', '-o', '-l'];
const NIX_RUN = ['nix', 'run', 'github:cargo2nix/cargo2nix/release-0.12', '--', '-o', '-l'];
const HOW_TO_GET =
  'install cargo2nix 0.12 (nix profile install github:cargo2nix/cargo2nix/release-0.12) or Nix, or set "regenerate" in .loom-guard.json to the command that writes Cargo.nix';

/** Set while a generator runs, so a cargo2nix-update that itself calls `loom-guard nix update` does not loop. */
export const NESTED_ENV = 'LOOM_GUARD_NIX_UPDATE';

export interface Generator {
  command: string[];
  /** Why this one, in words for doctor and the progress line. */
  why: string;
}

/**
 * The generator `nix update` runs, in order: config `regenerate`; the repository's own
 * `cargo2nix-update` (Loom's documented command: it knows the project's flags and pinned cargo2nix)
 * when on PATH; `cargo2nix -o -l`; `nix run` of cargo2nix 0.12. Null when there is none.
 */
export async function pickGenerator(configured: string[] | null, env: NodeJS.ProcessEnv = process.env): Promise<Generator | null> {
  if (configured) return { command: configured, why: 'config "regenerate"' };
  if (!env[NESTED_ENV] && (await commandExists('cargo2nix-update'))) return { command: CARGO2NIX_UPDATE, why: "the repository's cargo2nix-update, on PATH" };
  if (await commandExists('cargo2nix')) return { command: CARGO2NIX, why: 'cargo2nix is on PATH' };
  if (await commandExists('nix')) return { command: NIX_RUN, why: 'nix is on PATH: cargo2nix 0.12 through nix run' };
  return null;
}

const readOrNull = (file: string) => readFile(file).catch(() => null);

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`nix update: unexpected argument "${args.positionals[0]}" (see loom-guard nix update --help)`);
  const reporter = new Reporter();
  const paths = await repoPaths(process.cwd());
  const { config } = await loadConfig(paths.root);
  const nixPath = join(paths.root, CARGO_NIX);
  const picked = await pickGenerator(config.regenerate);
  const generator = picked?.command ?? null;

  let regenerated = false;
  let generatorProblem = 'no generator found (none of cargo2nix-update, cargo2nix, nix is on PATH)';
  if (generator) {
    const [command, ...rest] = generator as [string, ...string[]];
    reporter.note(`regenerating Cargo.nix: ${generator.join(' ')} (${picked?.why})`);
    try {
      const result = await runProcess(command, rest, { cwd: paths.root, echo: true, env: { ...process.env, [NESTED_ENV]: '1' } });
      if (result.exitCode === 0) regenerated = true;
      else generatorProblem = `${generator.join(' ')} failed (exit ${result.exitCode})`;
    } catch (error) {
      generatorProblem = `${command} could not be started (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    }
  }

  const nixBytes = await readOrNull(nixPath);
  if (nixBytes === null) {
    reporter.error(regenerated ? `${generator?.join(' ')} did not write ${CARGO_NIX}` : `no ${CARGO_NIX} and ${generatorProblem}: ${HOW_TO_GET}`);
    return 1;
  }
  const nix = nixBytes.toString('utf8');

  if (!regenerated) {
    const lock = await readOrNull(join(paths.root, CARGO_LOCK));
    const recorded = readLockHash(nix);
    const actual = lock === null ? null : lockFileHash(lock);
    if (recorded === null || actual !== recorded) {
      const state =
        recorded === null
          ? 'Cargo.nix has no lock hash, so loom-guard cannot prove it matches Cargo.lock'
          : `Cargo.nix ${recorded} is out of sync with Cargo.lock ${actual ?? '(missing)'}`;
      reporter.error(`${generatorProblem}; ${state}. Nothing was changed: ${HOW_TO_GET}, then run loom-guard nix update again`);
      return 1;
    }
  }

  const reader = new BlobReader(paths.root);
  let resources;
  try {
    resources = await readResources(reader, paths.root, WORKTREE, await resourceMatcher(config.resources));
  } finally {
    reader.close();
  }
  const stamp = computeStamp(resources);
  const stamped = writeStamp(nix, stamp);
  if (stamped !== nix) await writeFile(nixPath, stamped);
  const what = `${formatStamp(stamp).replace(/^# /, '')}${stamped === nix ? ' (unchanged)' : ''}`;
  if (regenerated) {
    reporter.check({ id: 'nix-sync', status: 'pass', summary: `Cargo.nix regenerated and stamped: ${what}` });
  } else {
    reporter.check({ id: 'nix-sync', status: 'pass', summary: `Cargo.nix stamped only: ${what}` });
    reporter.note(`${generatorProblem}; the lock hash already matches Cargo.lock, so only the resources stamp was written`);
  }
  reporter.note('now stage it: git add Cargo.nix');
  return 0;
}
