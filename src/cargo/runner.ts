import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config, LintMode } from '../config.js';
import { run, type RunResult } from '../proc.js';
import type { Progress } from '../progress.js';
import type { CheckResult } from '../report.js';
import type { CrateSelection } from './crates.js';
import {
  cargoOutput,
  missingComponent,
  parallelClippyArgs,
  singlePassArgs,
  singlePassFailure,
  stepArgs,
  tail,
  type CargoStep,
  type SinglePass,
} from './steps.js';

/*
 * The one cargo runner of both hooks: pre-commit runs fmt, clippy and build on the staged crates,
 * pre-push fmt, clippy, build and test on the affected crates or the workspace. Same command lines,
 * same order, same failure handling; only the words around a failure (the fix) differ.
 *
 * Order: fmt beside the rest (rustfmt does not take the build lock); clippy, then build, then
 * test, each only when the one before passed (a crate clippy rejects does not build either).
 */

export interface CargoRunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The steps to run; the others are left out of the result. */
  steps: readonly CargoStep[];
  scope: CrateSelection;
  /** fmt's scope when narrower: formatting a crate does not depend on any other crate. */
  fmtScope?: CrateSelection;
  /** For clippy and build; null is cargo's default (dev). */
  profile: string | null;
  config: Config;
  /**
   * `parallel` runs clippy (in its own profile) beside the build; `single-pass` runs them as one
   * `cargo build` with clippy-driver as the wrapper; `separate` one after the other.
   */
  lint: LintMode;
  colour: boolean;
  progress: Progress;
  /** The text after a step's id: `1 crate (loom-cli)`, `workspace`. */
  summary: (step: CargoStep, scope: CrateSelection) => string;
  /** The text after a failed step's id; defaults to the summary. */
  failSummary?: (step: CargoStep, args: string[], result: RunResult) => string;
  /** The one action that fixes a failed step. */
  fix: (step: CargoStep, scope: CrateSelection) => string;
  /** Keep only the last lines of a failure's output. */
  tailLines?: number;
}

/**
 * clippy-driver of the toolchain cargo uses here (rust-toolchain files and rustup overrides apply
 * through the cwd), or null when the toolchain has none.
 */
export async function clippyDriver(cwd: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  let result;
  try {
    result = await run('rustc', ['--print', 'sysroot'], { cwd, env });
  } catch {
    return null;
  }
  if (result.exitCode !== 0) return null;
  const driver = join(result.stdout.toString('utf8').trim(), 'bin', 'clippy-driver');
  return access(driver, constants.X_OK).then(
    () => driver,
    () => null,
  );
}

export async function runCargo(opts: CargoRunOptions): Promise<Map<CargoStep, CheckResult>> {
  const { cwd, config, profile, scope, progress, steps } = opts;
  const env: NodeJS.ProcessEnv = { ...opts.env, CARGO_TERM_COLOR: opts.colour ? 'always' : 'never' };
  const results = new Map<CargoStep, CheckResult>();
  const wants = (s: CargoStep) => steps.includes(s);

  const runStep = async (step: CargoStep, args: string[], stepScope: CrateSelection, extraEnv: Record<string, string> = {}, reportAs?: (r: RunResult) => CargoStep): Promise<{ result: CheckResult; as: CargoStep }> => {
    const label = reportAs ? 'clippy + build' : step;
    progress.start(label);
    let ran: RunResult;
    try {
      ran = await run('cargo', args, { cwd, env: { ...env, ...extraEnv } });
    } catch (error) {
      return {
        as: step,
        result: { id: step, status: 'fail', summary: 'cargo could not be started', details: (error as Error).message, fix: 'install Rust (https://rustup.rs) so cargo is on PATH' },
      };
    } finally {
      progress.stop(label);
    }
    const as = ran.exitCode === 0 || !reportAs ? step : reportAs(ran);
    if (ran.exitCode === 0) return { as, result: { id: step, status: 'pass', summary: opts.summary(step, stepScope), durationMs: ran.durationMs } };
    const output = cargoOutput(ran);
    const component = missingComponent(as, output);
    return {
      as,
      result: {
        id: as,
        status: 'fail',
        summary: opts.failSummary ? opts.failSummary(as, args, ran) : opts.summary(as, stepScope),
        details: (opts.tailLines ? tail(output, opts.tailLines) : output) || `cargo ${args[0]} exited with ${ran.exitCode}`,
        fix: component ? `rustup component add ${component}` : opts.fix(as, stepScope),
        durationMs: ran.durationMs,
      },
    };
  };

  const fmtScope = opts.fmtScope ?? scope;
  // No crate holds a changed file (a data file outside every crate that one reads): nothing to format.
  const noFmt = !fmtScope.workspace && !fmtScope.crates.length;
  const fmt = !wants('fmt')
    ? null
    : noFmt
      ? Promise.resolve({ as: 'fmt' as const, result: { id: 'fmt', status: 'pass', summary: opts.summary('fmt', fmtScope) } satisfies CheckResult })
      : runStep('fmt', stepArgs('fmt', fmtScope, profile, config, opts.colour), fmtScope);

  let single: SinglePass | null = null;
  if (opts.lint === 'single-pass' && wants('clippy') && wants('build') && !env.RUSTC_WORKSPACE_WRAPPER) {
    const driver = await clippyDriver(cwd, env);
    // No clippy-driver: the separate clippy step reports the missing component in cargo's words.
    if (driver) single = singlePassArgs(scope, profile, config, driver);
  }

  const parallel = opts.lint === 'parallel' && wants('clippy') && wants('build');
  if (parallel) {
    const [lint, build] = await Promise.all([
      runStep('clippy', parallelClippyArgs(scope, profile, config), scope),
      runStep('build', stepArgs('build', scope, profile, config), scope),
    ]);
    results.set('clippy', lint.result);
    // Both failing is mostly one compile error said twice: clippy's words are enough.
    results.set(
      'build',
      lint.result.status === 'fail' && build.result.status === 'fail'
        ? { id: 'build', status: 'skip', summary: 'not reported: clippy failed on the same crates' }
        : build.result,
    );
  } else if (single) {
    const pass = await runStep('clippy', single.args, scope, single.env, (r) => singlePassFailure(cargoOutput(r)));
    if (pass.result.status === 'pass') {
      results.set('clippy', pass.result);
      // One process did both: its time is on the clippy line only.
      results.set('build', { id: 'build', status: 'pass', summary: `${opts.summary('build', scope)}, in the same pass` });
    } else if (pass.as === 'build') {
      results.set('clippy', { id: 'clippy', status: 'pass', summary: opts.summary('clippy', scope) });
      results.set('build', pass.result);
    } else {
      results.set('clippy', pass.result);
      results.set('build', { id: 'build', status: 'skip', summary: 'not run: clippy failed on the same crates' });
    }
  } else {
    if (wants('clippy')) results.set('clippy', (await runStep('clippy', stepArgs('clippy', scope, profile, config), scope)).result);
    if (wants('build')) {
      results.set(
        'build',
        results.get('clippy')?.status === 'fail'
          ? { id: 'build', status: 'skip', summary: 'not run: clippy failed on the same crates' }
          : (await runStep('build', stepArgs('build', scope, profile, config), scope)).result,
      );
    }
  }
  if (wants('test')) {
    const blocked = (['clippy', 'build'] as const).find((s) => results.get(s)?.status === 'fail');
    results.set(
      'test',
      blocked
        ? { id: 'test', status: 'skip', summary: `not run: ${blocked} failed` }
        : (await runStep('test', stepArgs('test', scope, profile, config), scope)).result,
    );
  }
  if (fmt) results.set('fmt', (await fmt).result);
  progress.clear();
  return results;
}
