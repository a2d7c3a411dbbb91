import type { CheckId } from '../checkIds.js';
import type { Config } from '../config.js';
import { run, type RunResult } from '../proc.js';
import type { CheckResult } from '../report.js';
import type { CrateSelection } from './crates.js';
import { Progress } from '../progress.js';

export type CargoStep = 'fmt' | 'clippy' | 'build';

/** -p for each crate, or --workspace (`--all` for cargo fmt) when a workspace file changed. */
export function packageArgs(selection: CrateSelection, step: CargoStep): string[] {
  if (selection.workspace) return [step === 'fmt' ? '--all' : '--workspace'];
  return selection.crates.flatMap((c) => ['-p', c]);
}

/** Splits configured extra arguments at `--`: cargo's own before, the tool's after. */
function splitExtra(extra: string[]): { cargo: string[]; tool: string[] } {
  const at = extra.indexOf('--');
  return at < 0 ? { cargo: extra, tool: [] } : { cargo: extra.slice(0, at), tool: extra.slice(at + 1) };
}

export function stepArgs(step: CargoStep, selection: CrateSelection, profile: string, config: Config, colour?: boolean): string[] {
  const extra = splitExtra(config.cargoArgs[step]);
  const pkgs = packageArgs(selection, step);
  switch (step) {
    case 'fmt': {
      // rustfmt colours its diff on its own judgement; follow ours (NO_COLOR, not a terminal).
      const tool = colour === undefined ? extra.tool : [`--color=${colour ? 'always' : 'never'}`, ...extra.tool];
      return ['fmt', '--check', ...pkgs, ...extra.cargo, ...(tool.length ? ['--', ...tool] : [])];
    }
    case 'clippy':
      return ['clippy', '--profile', profile, ...pkgs, ...extra.cargo, '--', '-D', 'warnings', ...extra.tool];
    case 'build':
      return ['build', '--profile', profile, ...pkgs, ...extra.cargo, ...(extra.tool.length ? ['--', ...extra.tool] : [])];
  }
}

/** The one command that fixes (or re-checks) a failed step. */
export function fixFor(step: CargoStep, selection: CrateSelection, profile: string): string {
  const pkgs = packageArgs(selection, step).join(' ');
  switch (step) {
    case 'fmt':
      return `cargo fmt ${pkgs}, then git add the formatted files`;
    case 'clippy':
      return `fix what clippy reports above (cargo clippy --fix --allow-dirty ${pkgs} fixes many lints), then check: cargo clippy --profile ${profile} ${pkgs} -- -D warnings`;
    case 'build':
      return `fix the errors above, then check: cargo build --profile ${profile} ${pkgs}`;
  }
}

/** `2 crates (loom-cli, loom-core)`; long lists are cut, the whole workspace says so. */
export function describeSelection(selection: CrateSelection): string {
  const n = selection.crates.length;
  const count = `${n} crate${n === 1 ? '' : 's'}`;
  if (selection.workspace) return `${count} (workspace: ${selection.because} changed)`;
  const shown = selection.crates.slice(0, 6).join(', ');
  return `${count} (${shown}${n > 6 ? `, +${n - 6} more` : ''})`;
}

/**
 * Does the root Cargo.toml define [profile.<name>]? Parsed as TOML (a dotted or inline-table
 * spelling counts too). `dev` and `release` always exist.
 */
export async function hasProfile(rootManifest: string | null, name: string): Promise<boolean> {
  if (name === 'dev' || name === 'release' || name === 'test' || name === 'bench') return true;
  if (!rootManifest) return false;
  const { parse } = await import('smol-toml');
  try {
    const doc = parse(rootManifest) as { profile?: Record<string, unknown> };
    return Boolean(doc.profile && typeof doc.profile === 'object' && name in doc.profile);
  } catch {
    return false; // cargo itself reports a broken manifest, with its own words
  }
}

/** cargo's progress lines say nothing about the failure: leave them out of the report. */
export function cargoOutput(result: RunResult): string {
  return result.all
    .split('\n')
    // Tested without colour codes: with CARGO_TERM_COLOR=always the words come after an escape.
    .filter((line) => !/^\s*(Compiling|Checking|Finished|Blocking waiting|Fresh|Building|Locking|Updating)\b/.test(line.replace(/\x1b\[[0-9;]*m/g, '')))
    .join('\n')
    .trim();
}

export interface StepRun {
  step: CargoStep;
  result: CheckResult;
}

/**
 * Runs the active steps: fmt beside clippy (rustfmt does not touch the build lock), build after
 * clippy (both would fight over the target folder, and a crate clippy rejects will not build
 * either: then build is not run, and says so). Results come back in id order.
 */
export async function runCargoSteps(opts: {
  root: string;
  ids: CheckId[];
  selection: CrateSelection;
  profile: string;
  config: Config;
  colour: boolean;
  progress?: Progress;
}): Promise<CheckResult[]> {
  const { root, ids, selection, profile, config, colour } = opts;
  const env = { ...process.env, CARGO_TERM_COLOR: colour ? 'always' : 'never' };
  const summary = describeSelection(selection);
  const progress = opts.progress ?? new Progress(process.stderr, summary);

  const runStep = async (step: CargoStep): Promise<CheckResult> => {
    progress.start(step);
    try {
      const result = await run('cargo', stepArgs(step, selection, profile, config, colour), { cwd: root, env });
      if (result.exitCode === 0) return { id: step, status: 'pass', summary, durationMs: result.durationMs };
      const output = cargoOutput(result);
      const missing = /no such (command|subcommand): .?(fmt|clippy)/.test(output);
      return {
        id: step,
        status: 'fail',
        summary,
        details: output || `cargo ${step} exited with ${result.exitCode}`,
        fix: missing ? `rustup component add ${step === 'fmt' ? 'rustfmt' : 'clippy'}` : fixFor(step, selection, profile),
        durationMs: result.durationMs,
      };
    } finally {
      progress.stop(step);
    }
  };

  const fmt = ids.includes('fmt') ? runStep('fmt') : null;
  const results = new Map<CargoStep, CheckResult>();
  if (ids.includes('clippy')) results.set('clippy', await runStep('clippy'));
  if (ids.includes('build')) {
    if (results.get('clippy')?.status === 'fail') {
      results.set('build', { id: 'build', status: 'skip', summary: 'not run: clippy failed on the same crates' });
    } else {
      results.set('build', await runStep('build'));
    }
  }
  if (fmt) results.set('fmt', await fmt);
  progress.clear();
  return (['fmt', 'clippy', 'build'] as const).filter((s) => results.has(s)).map((s) => results.get(s) as CheckResult);
}
