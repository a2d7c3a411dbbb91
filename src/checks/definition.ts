import type { Config } from '../config.js';
import type { Finding } from '../doctor/types.js';
import type { RepoPaths } from '../git.js';
import type { CheckResult, Reporter } from '../report.js';
import type { CheckGroupRun } from './types.js';

/*
 * The shape of one check. Every list loom-guard keeps about checks (the ids, the CLI help, the
 * shim's no-op patterns, what pre-commit runs, what runs on each pushed commit and on a pushed tip,
 * what doctor probes) is derived from these definitions (definitions.ts), so adding a check is one
 * file in defs/ plus one line there. A definition imports nothing heavy: every runner is loaded
 * only when it runs.
 */

/** What the shim's patterns are computed from, gathered once at install. */
export interface RelevanceFacts {
  config: Config;
  /** The parsed root Cargo.toml, or null when there is none. */
  rootManifest: Record<string, unknown> | null;
  /** Folders holding a Cargo.toml in the index ('' for the root). */
  manifestDirs: string[];
  /** The repository's lint-staged configurations (lintStaged/configs.ts). */
  lintStaged: Array<{ file: string; dir: string; globs: string[] | null }>;
}

/**
 * A group of ids that share one run (fmt, clippy and build share one isolated tree). Definitions
 * that name the same group key run together, in definition order; `load` is taken from the first.
 */
export interface GroupRunner {
  group: string;
  load: () => Promise<CheckGroupRun>;
  /** Runs in the staged run's shared tree (the Rust group, lint-staged): see CheckGroup. */
  usesStagedTree?: boolean;
}

/** Everything a check needs to judge one pushed tip. */
export interface TipContext {
  paths: RepoPaths;
  config: Config;
  reporter: Reporter;
  /** The pushed commit. */
  tip: string;
  /** The commits pushed with it, oldest first (their first parents give the range). */
  commits: Array<{ sha: string; parent: string | null }>;
}

export type TipRun = (ctx: TipContext) => Promise<CheckResult>;

/** A doctor probe; definitions that share a probe key are probed once. */
export interface DoctorProbe {
  key: string;
  load: () => Promise<(paths: RepoPaths, config: Config | null) => Promise<Finding[]>>;
}

export interface CheckDefinition<Id extends string = string> {
  id: Id;
  /** A few words for the help: what it checks. */
  title: string;
  /**
   * The paths that make the check relevant to a commit, as globs the shim can compare in sh
   * (`*` crosses `/` there, which only widens them), or null when they cannot be expressed: the
   * no-op path is then off. Only checks with a `staged` run need it.
   */
  relevant?: (facts: RelevanceFacts) => string[] | null;
  /** What pre-commit (and `check --staged`) runs on the staged tree. */
  staged?: GroupRunner;
  /** What runs on every pushed commit against its first parent (the same run, on a commit). */
  commit?: GroupRunner;
  /**
   * What `check --files` runs on the working tree as it is, for the named paths (no isolation:
   * the working tree is what is judged).
   */
  files?: GroupRunner;
  /**
   * What runs on each pushed tip: `cargo` for a workspace-wide cargo step of the full check
   * (src/push/fullCheck.ts builds and runs those), or a runner of its own, gated by the config.
   */
  tip?: { kind: 'cargo' } | { kind: 'run'; enabled: (config: Config) => boolean; load: () => Promise<TipRun> };
  doctor?: DoctorProbe;
}
