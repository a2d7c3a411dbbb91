import type { Config } from '../config.js';
import type { RunResult } from '../proc.js';
import type { CrateSelection } from './crates.js';

/*
 * The cargo command lines of every step, for both hooks: pure functions of the scope (some crates
 * or the whole workspace), the profile and the config. src/cargo/runner.ts runs them.
 */

export type CargoStep = 'fmt' | 'clippy' | 'build' | 'test';
export const CARGO_STEPS: readonly CargoStep[] = ['fmt', 'clippy', 'build', 'test'];

/** -p for each crate, or --workspace (`--all` for cargo fmt) when the scope is the workspace. */
export function packageArgs(selection: CrateSelection, step: CargoStep): string[] {
  if (selection.workspace) return [step === 'fmt' ? '--all' : '--workspace'];
  return selection.crates.flatMap((c) => ['-p', c]);
}

/** Splits configured extra arguments at `--`: cargo's own before, the tool's after. */
export function splitExtra(extra: string[]): { cargo: string[]; tool: string[] } {
  const at = extra.indexOf('--');
  return at < 0 ? { cargo: extra, tool: [] } : { cargo: extra.slice(0, at), tool: extra.slice(at + 1) };
}

/** `--profile <name>`, or nothing for cargo's own default (the pre-push check builds like a person would). */
const profileArgs = (profile: string | null) => (profile ? ['--profile', profile] : []);

/** How the fmt step treats unformatted files; `check` blocks. (`fix` formats and stages: #13.) */
export type FmtMode = 'check';

export function fmtArgs(selection: CrateSelection, config: Config, colour?: boolean, mode: FmtMode = 'check'): string[] {
  const extra = splitExtra(config.cargoArgs.fmt);
  // rustfmt colours its diff on its own judgement; follow ours (NO_COLOR, not a terminal).
  const tool = colour === undefined ? extra.tool : [`--color=${colour ? 'always' : 'never'}`, ...extra.tool];
  const modeArgs = mode === 'check' ? ['--check'] : [];
  return ['fmt', ...modeArgs, ...packageArgs(selection, 'fmt'), ...extra.cargo, ...(tool.length ? ['--', ...tool] : [])];
}

export function stepArgs(step: CargoStep, selection: CrateSelection, profile: string | null, config: Config, colour?: boolean): string[] {
  const extra = splitExtra(config.cargoArgs[step]);
  const pkgs = packageArgs(selection, step);
  const tool = extra.tool.length ? ['--', ...extra.tool] : [];
  switch (step) {
    case 'fmt':
      return fmtArgs(selection, config, colour);
    case 'clippy':
      return ['clippy', ...profileArgs(profile), ...pkgs, ...extra.cargo, '--', '-D', 'warnings', ...extra.tool];
    case 'build':
      return ['build', ...profileArgs(profile), ...pkgs, ...extra.cargo, ...tool];
    case 'test':
      // The tests build with the test profile; `profile` is for clippy and build only.
      return ['test', ...pkgs, ...extra.cargo, ...tool];
  }
}

/** The profile clippy runs in beside the build (`lint: "parallel"`); cargo names its folder after it. */
export const LINT_PROFILE = 'loom-guard-lint';

/**
 * Clippy for the parallel mode: in its own profile, inheriting the build's, defined on the command
 * line (no Cargo.toml edit). Its own profile folder means its own build lock, so cargo runs it beside
 * the build; and the build, without a wrapper in its fingerprint, is exactly the one a person runs,
 * so their next `cargo build --profile <profile>` has nothing to compile.
 */
export function parallelClippyArgs(selection: CrateSelection, profile: string | null, config: Config): string[] {
  const [command, ...rest] = stepArgs('clippy', selection, LINT_PROFILE, config);
  return [command as string, '--config', `profile.${LINT_PROFILE}.inherits="${profile ?? 'dev'}"`, ...rest];
}

/** Separator cargo-clippy puts after each argument in CLIPPY_ARGS, which clippy-driver splits on. */
const CLIPPY_ARG_END = '__CLIPPY_HACKERY__';

export interface SinglePass {
  args: string[];
  /** What `cargo clippy` sets for clippy-driver: the wrapper, and the clippy arguments in one variable. */
  env: Record<string, string>;
}

/**
 * Clippy and build as one `cargo build`: cargo-clippy is `cargo check` with RUSTC_WORKSPACE_WRAPPER
 * set to clippy-driver and the arguments after `--` in CLIPPY_ARGS; clippy-driver also compiles for
 * real, so `cargo build` with the same environment gives clippy's findings and the build in one
 * pass. Null when the two steps would not build the same targets (cargo-side clippy arguments that
 * the build does not have, e.g. `--all-targets`): then they run separately.
 */
export function singlePassArgs(selection: CrateSelection, profile: string | null, config: Config, driver: string): SinglePass | null {
  const clippy = splitExtra(config.cargoArgs.clippy);
  const build = splitExtra(config.cargoArgs.build);
  if (clippy.cargo.length && clippy.cargo.join('\0') !== build.cargo.join('\0')) return null;
  const clippyArgs = ['-D', 'warnings', ...clippy.tool];
  return {
    args: stepArgs('build', selection, profile, config),
    env: {
      RUSTC_WORKSPACE_WRAPPER: driver,
      CLIPPY_ARGS: clippyArgs.map((a) => a + CLIPPY_ARG_END).join(''),
    },
  };
}

/**
 * Which step a failed single pass failed in: a linker error with no compiler diagnostic is the
 * build's; anything rustc or clippy reports (what `cargo clippy` would have stopped at) is clippy's.
 */
export function singlePassFailure(output: string): 'clippy' | 'build' {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const diagnostics = plain.split('\n').filter((l) => /^error(\[\w+\])?: /.test(l) && !/^error: could not compile\b/.test(l));
  const linking = diagnostics.filter((l) => /^error: linking with\b/.test(l));
  return diagnostics.length > 0 && linking.length === diagnostics.length ? 'build' : 'clippy';
}

/** The rustup component a failed step lacks, when cargo says the subcommand is missing. */
export function missingComponent(step: CargoStep, output: string): string | null {
  if (step === 'fmt' && /no such (command|subcommand): .?fmt|'cargo-fmt' is not installed|rustfmt.* is not installed/.test(output)) return 'rustfmt';
  if (step === 'clippy' && /no such (command|subcommand): .?clippy|'(cargo-clippy|clippy-driver)' is not installed/.test(output)) return 'clippy';
  return null;
}

/** The one command that fixes (or re-checks) a failed step before a commit. */
export function fixFor(step: CargoStep, selection: CrateSelection, profile: string): string {
  const pkgs = packageArgs(selection, step).join(' ');
  switch (step) {
    case 'fmt':
      return `cargo fmt ${pkgs}, then git add the formatted files`;
    case 'clippy':
      return `fix what clippy reports above (cargo clippy --fix --allow-dirty ${pkgs} fixes many lints), then check: cargo clippy --profile ${profile} ${pkgs} -- -D warnings`;
    case 'build':
      return `fix the errors above, then check: cargo build --profile ${profile} ${pkgs}`;
    case 'test':
      return `fix the failing tests above, then check: cargo test ${pkgs}`;
  }
}

/** `2 crates (loom-cli, loom-core)`; long lists are cut, the whole workspace says so. */
export function describeSelection(selection: CrateSelection, show = 6): string {
  const n = selection.crates.length;
  const count = `${n} crate${n === 1 ? '' : 's'}`;
  if (selection.workspace) return `${count} (workspace: ${selection.because})`;
  const shown = selection.crates.slice(0, show).join(', ');
  return `${count} (${shown}${n > show ? `, +${n - show} more` : ''}${selection.because ? `; ${selection.because}` : ''})`;
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

/**
 * The profile clippy and build use before a commit: the configured one, or `dev` with one warning
 * line when the root Cargo.toml does not define it.
 */
export async function hookProfile(rootManifest: string | null, configured: string, reporter: { warn(text: string): void }): Promise<string> {
  if (await hasProfile(rootManifest, configured)) return configured;
  reporter.warn(
    `Cargo.toml has no [profile.${configured}]: clippy and build use the dev profile (add [profile.${configured}] with inherits = "dev", debug = 0 for faster hooks)`,
  );
  return 'dev';
}

/** cargo's progress lines say nothing about the failure: leave them out of the report. */
export function cargoOutput(result: Pick<RunResult, 'all'>): string {
  return result.all
    .split('\n')
    // Tested without colour codes: with CARGO_TERM_COLOR=always the words come after an escape.
    .filter((line) => !/^\s*(Compiling|Checking|Finished|Blocking waiting|Fresh|Building|Locking|Updating)\b/.test(line.replace(/\x1b\[[0-9;]*m/g, '')))
    .join('\n')
    .trim();
}

/** The end of a tool's output: where cargo puts the error and the test summary. */
export function tail(text: string, lines = 80): string {
  const all = text.trimEnd().split('\n');
  if (all.length <= lines) return all.join('\n');
  return [`… (${all.length - lines} earlier lines not shown)`, ...all.slice(-lines)].join('\n');
}
