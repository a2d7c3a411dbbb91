import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ParsedArgs } from '../args.js';
import { tail } from '../cargo/steps.js';
import { CARGO_LOCK, CARGO_NIX, readResources, resourceMatcher } from '../checks/nixSync.js';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { BlobReader, repoPaths, WORKTREE } from '../git.js';
import { guardDir } from '../isolate/backup.js';
import { writeDurable } from '../isolate/journal.js';
import { handedOver, interrupted, onInterrupt } from '../isolate/signals.js';
import { featuresFix, NESTED_ENV, nixFeatures, pickGenerator, type Generator } from '../nix/generator.js';
import { cargoNixDamage } from '../nix/integrity.js';
import { lockFileHash, readLockHash } from '../nix/lockHash.js';
import { computeStamp, formatStamp, writeStamp } from '../nix/stamp.js';
import { shellWord } from '../invocation.js';
import { run as runProcess } from '../proc.js';
import { Reporter } from '../report.js';

/*
 * `loom-guard nix update`, the cargo2nix-update equivalent: regenerate Cargo.nix when a generator
 * is at hand, then record the resources stamp of the working tree. Without a generator the stamp
 * is only written when the lock hash already proves Cargo.nix matches Cargo.lock.
 *
 * A generator writes Cargo.nix in place and may fail halfway, killed or broken: Cargo.nix is
 * copied aside first (durably, into .git/loom-guard/nix-update/) and put back byte for byte when
 * the generator exits non-zero, leaves it cut short or unreadable, or is interrupted.
 */

export { NESTED_ENV, pickGenerator, type Generator } from '../nix/generator.js';

const HOW_TO_GET =
  'install cargo2nix 0.12 (nix profile install github:cargo2nix/cargo2nix/release-0.12) or Nix, or set "regenerate" in .loom-guard.json to the command that writes Cargo.nix';

const readOrNull = (file: string) => readFile(file).catch(() => null);
const commandLine = (command: string[]) => command.map(shellWord).join(' ');

/** What went wrong with the generator, in the words the report uses. */
interface GeneratorFailure {
  /** `nix run … exited with 1`, `cargo2nix could not be started (ENOENT)`. */
  what: string;
  /** The last lines of its output, or ''. */
  output: string;
  /** The one action that fixes it. */
  fix: string;
}

/** The fix for a generator that failed, by where it came from: never "set regenerate" when it is set. */
async function fixFor(generator: Generator, configSource: string | null, started: boolean): Promise<string> {
  const line = commandLine(generator.command);
  if (generator.source === 'config') {
    const where = configSource ? basename(configSource) : 'the config';
    return started
      ? `make the "regenerate" command of ${where} work (run it by hand to see why: ${line}), or correct it`
      : `"regenerate" in ${where} names ${generator.command[0]}, which cannot be started here: install it or correct "regenerate"`;
  }
  if (generator.source === 'nix') {
    const features = await nixFeatures();
    if (features?.missing.length) return featuresFix(features.missing);
    return `run it by hand to see why: ${line}; or install cargo2nix 0.12 on PATH, or set "regenerate" in .loom-guard.json`;
  }
  return `run it by hand to see why: ${line}; or set "regenerate" in .loom-guard.json to the command that writes Cargo.nix`;
}

/**
 * Runs the generator with Cargo.nix copied aside; on failure, damage or a signal the copy goes back.
 * Returns null on success, else what happened (Cargo.nix then holds exactly its old bytes).
 */
async function regenerate(generator: Generator, root: string, gitDir: string, configSource: string | null, reporter: Reporter): Promise<GeneratorFailure | null> {
  const nixPath = join(root, CARGO_NIX);
  const original = await readOrNull(nixPath);
  const mode = original ? (await stat(nixPath)).mode & 0o7777 : undefined;
  const aside = join(guardDir(gitDir), 'nix-update');
  if (original) {
    await mkdir(aside, { recursive: true });
    await writeDurable(join(aside, CARGO_NIX), original, mode);
  }
  /** Puts the old bytes back when they are not there; says whether it had to. */
  const putBack = async (): Promise<boolean> => {
    const now = await readOrNull(nixPath);
    if (original === null) {
      if (now === null) return false;
      await rm(nixPath, { force: true });
      return true;
    }
    if (now?.equals(original)) return false;
    await writeDurable(nixPath, original, mode);
    return true;
  };
  const unregister = onInterrupt(async () => {
    const restored = await putBack();
    reporter.note(`interrupted: ${restored ? 'Cargo.nix is back as it was, byte for byte' : 'Cargo.nix was not changed'}`);
    await rm(aside, { recursive: true, force: true });
  });
  const [command, ...rest] = generator.command as [string, ...string[]];
  const line = commandLine(generator.command);
  reporter.note(`regenerating Cargo.nix: ${line} (${generator.why})`);
  let failure: GeneratorFailure | null = null;
  try {
    const result = await runProcess(command, rest, { cwd: root, echo: true, env: { ...process.env, [NESTED_ENV]: '1' } });
    // A signal stopped it: the handler puts Cargo.nix back, says so and exits.
    if (interrupted()) return handedOver();
    const output = tail(result.all.trim(), 8);
    if (result.exitCode !== 0) {
      failure = { what: `${line} exited with ${result.signal ?? result.exitCode}`, output, fix: await fixFor(generator, configSource, true) };
    } else {
      const now = await readOrNull(nixPath);
      const damage = now === null ? 'it left no Cargo.nix' : cargoNixDamage(now.toString('utf8'));
      if (damage) failure = { what: `${line} exited with 0, but ${damage}`, output, fix: await fixFor(generator, configSource, true) };
    }
  } catch (error) {
    if (interrupted()) return handedOver();
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    failure = { what: `${command} could not be started (${code})`, output: '', fix: await fixFor(generator, configSource, false) };
  }
  if (interrupted()) return handedOver();
  unregister();
  if (failure) {
    const restored = await putBack();
    const state = original === null ? 'there was no Cargo.nix before, and there is none now' : restored ? 'Cargo.nix is back as it was before, byte for byte' : 'Cargo.nix was not changed';
    reporter.error(`the generator failed: ${failure.what}; ${state}${failure.output ? '. Its last lines:' : ''}`);
    if (failure.output) process.stderr.write(`${failure.output.replace(/^/gm, '    ')}\n`);
  }
  await rm(aside, { recursive: true, force: true });
  return failure;
}

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`nix update: unexpected argument "${args.positionals[0]}" (see loom-guard nix update --help)`);
  const reporter = new Reporter();
  const paths = await repoPaths(process.cwd());
  const { config, source } = await loadConfig(paths.root);
  const nixPath = join(paths.root, CARGO_NIX);
  const generator = await pickGenerator(config.regenerate);

  const failure: GeneratorFailure | null = generator
    ? await regenerate(generator, paths.root, paths.gitDir, source, reporter)
    : { what: 'no generator found (none of cargo2nix-update, cargo2nix, nix is on PATH)', output: '', fix: HOW_TO_GET };
  const regenerated = failure === null;

  const nixBytes = await readOrNull(nixPath);
  if (nixBytes === null) {
    reporter.error(`no ${CARGO_NIX}, and ${regenerated ? 'the generator wrote none' : failure.what}: ${failure?.fix ?? HOW_TO_GET}`);
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
      reporter.error(`${generator ? 'the generator failed (above)' : failure.what}; ${state}. Nothing was written: ${failure.fix}, then run loom-guard nix update again`);
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
  if (stamped !== nix) await writeDurable(nixPath, stamped, (await stat(nixPath)).mode & 0o7777);
  const what = `${formatStamp(stamp).replace(/^# /, '')}${stamped === nix ? ' (unchanged)' : ''}`;
  if (regenerated) {
    reporter.check({ id: 'nix-sync', status: 'pass', summary: `Cargo.nix regenerated and stamped: ${what}` });
  } else {
    reporter.check({ id: 'nix-sync', status: 'pass', summary: `Cargo.nix stamped only: ${what}` });
    reporter.note(`${generator ? 'the generator failed (above)' : failure.what}; the lock hash already matches Cargo.lock, so only the resources stamp was written (to regenerate: ${failure.fix})`);
  }
  reporter.note('now stage it: git add Cargo.nix');
  return 0;
}
