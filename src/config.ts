import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GuardError } from './errors.js';
import type { ReplayFunction } from './migrations/replay.js';
import { parseReplayFunctions } from './migrations/replayFunctions.js';

export type ReplayMode = 'loom' | 'once' | 'off';
/** How migration files are named and numbered (src/migrations/names.ts). */
export type NamingScheme = 'loom' | 'sqlx' | 'refinery';
/**
 * Clippy and the pre-commit build: side by side (clippy in its own profile, so the build is the one
 * you would run and leaves nothing to rebuild), one cargo pass with clippy-driver as the wrapper,
 * or one after the other.
 */
export type LintMode = 'parallel' | 'single-pass' | 'separate';
/** What a push builds and tests: the crates changed since a tree that passed (and their dependents), or all. */
export type PushScope = 'affected' | 'workspace';

/** The effective configuration: defaults for the Loom layout, overridden by the user's file. */
export interface Config {
  /** Folders (globs allowed) that hold numbered SQL migrations. */
  migrations: string[];
  /**
   * The file that registers migrations with include_str!, relative to the repo root; null means
   * "find it": any .rs file under the migrations folder's crate `src/` that include_str!s one.
   */
  registry: string | null;
  /** How migrations are replayed on SQLite: `loom` (every start replays all), `once`, or `off`. */
  replay: ReplayMode;
  /** The naming scheme of the migrations folders: `loom` (NNN_snake_case.sql), `sqlx`, `refinery`. */
  naming: NamingScheme;
  /** Whether numbering may skip numbers; null means the scheme's default (loom no, sqlx and refinery yes). */
  gaps: boolean | null;
  /** SQL functions the application registers itself, stubbed during the replay. */
  replayFunctions: ReplayFunction[];
  /**
   * The replay's time budget in ms: a number is the budget of one statement (the whole run gets
   * six times it), or `{ "statement": ms, "run": ms }`.
   */
  replayTimeoutMs: { statement: number; run: number };
  /** SQL files (repo-relative) applied before the migrations as a base schema made elsewhere; never judged. */
  replayBase: string[];
  /** Allow edits to migrations that already exist on the protected ref. */
  allowEdits: boolean;
  /** Globs of files cargo2nix cannot see change but the build embeds; stamped into Cargo.nix. */
  resources: string[];
  /** The ref new migrations must be numbered above; null means origin/trunk, origin/main, origin/master. */
  protectedRef: string | null;
  /** Cargo profile the pre-commit hook builds with. */
  profile: string;
  /** Extra arguments per cargo step. */
  cargoArgs: { fmt: string[]; clippy: string[]; build: string[]; test: string[] };
  /** The Cargo.nix generator, as an argument array; null means cargo2nix, else nix run of cargo2nix. */
  regenerate: string[] | null;
  /** pre-commit's fmt: `check` blocks unformatted staged Rust, `fix` formats it and stages the result. */
  fmt: 'check' | 'fix';
  /** Also run the repository's lint-staged tasks on each pushed tip (pre-push). */
  lintStagedOnPush: boolean;
  /** Clippy and build at pre-commit in one pass (clippy-driver as RUSTC_WORKSPACE_WRAPPER) or separately. */
  lint: LintMode;
  /** Whether a push checks only the crates affected since a tree that passed the full check. */
  pushScope: PushScope;
}

export const DEFAULT_CONFIG: Config = {
  migrations: ['crates/*/migrations'],
  registry: null,
  replay: 'loom',
  naming: 'loom',
  gaps: null,
  replayFunctions: [],
  replayTimeoutMs: { statement: 5000, run: 30000 },
  replayBase: [],
  allowEdits: false,
  resources: ['crates/*/migrations/**'],
  protectedRef: null,
  profile: 'dev-fast',
  cargoArgs: { fmt: [], clippy: [], build: [], test: [] },
  regenerate: null,
  fmt: 'check',
  lintStagedOnPush: false,
  lint: 'parallel',
  pushScope: 'affected',
};

export const CONFIG_FILE = '.loom-guard.json';

export interface LoadedConfig {
  config: Config;
  /** Where it came from: a file path, `package.json#loom-guard`, or null for defaults. */
  source: string | null;
}

type Validator = (value: unknown) => string | null;

const stringArray: Validator = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'string') ? null : 'an array of strings';
const nonEmptyStringArray: Validator = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0)
    ? null
    : 'a non-empty array of strings';

const VALIDATORS: Record<keyof Config, Validator> = {
  migrations: stringArray,
  registry: (v) => (v === null || (typeof v === 'string' && v.length > 0) ? null : 'a path string or null'),
  replay: (v) => (v === 'loom' || v === 'once' || v === 'off' ? null : '"loom", "once" or "off"'),
  naming: (v) => (v === 'loom' || v === 'sqlx' || v === 'refinery' ? null : '"loom", "sqlx" or "refinery"'),
  gaps: (v) => (v === null || typeof v === 'boolean' ? null : 'true, false or null (the scheme\'s default)'),
  replayFunctions: () => null, // checked name by name below
  replayTimeoutMs: () => null, // read below: a number or an object
  replayBase: stringArray,
  allowEdits: (v) => (typeof v === 'boolean' ? null : 'true or false'),
  resources: stringArray,
  protectedRef: (v) => (v === null || (typeof v === 'string' && v.length > 0) ? null : 'a ref name or null'),
  profile: (v) => (typeof v === 'string' && /^[A-Za-z0-9_-]+$/.test(v) ? null : 'a cargo profile name'),
  cargoArgs: () => null, // checked key by key below
  regenerate: (v) => (v === null ? null : nonEmptyStringArray(v)),
  fmt: (v) => (v === 'check' || v === 'fix' ? null : '"check" or "fix"'),
  lintStagedOnPush: (v) => (typeof v === 'boolean' ? null : 'true or false'),
  lint: (v) => (v === 'parallel' || v === 'single-pass' || v === 'separate' ? null : '"parallel", "single-pass" or "separate"'),
  pushScope: (v) => (v === 'affected' || v === 'workspace' ? null : '"affected" or "workspace"'),
};

const CARGO_STEPS = ['fmt', 'clippy', 'build', 'test'] as const;

const BUDGET_SHAPE = 'milliseconds per statement (a whole number from 1 to 3600000), or {"statement": ms, "run": ms}';
const isMs = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 3_600_000;

/** `replayTimeoutMs`: the budget, or what it must be. */
function parseBudget(value: unknown): Config['replayTimeoutMs'] | string {
  if (isMs(value)) return { statement: value, run: value * 6 };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { statement, run, ...rest } = value as Record<string, unknown>;
    if (!Object.keys(rest).length && isMs(statement) && isMs(run)) return { statement, run: Math.max(run, statement) };
  }
  return BUDGET_SHAPE;
}

/**
 * Validates raw user config. Returns the merged config, or throws one line per problem
 * (joined), each naming the file and the key.
 */
export function parseConfig(raw: unknown, where: string): Config {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new GuardError(`${where}: the configuration must be a JSON object`);
  }
  const problems: string[] = [];
  const config: Config = structuredClone(DEFAULT_CONFIG);
  for (const [key, value] of Object.entries(raw)) {
    if (key === '$schema') continue;
    if (!(key in VALIDATORS)) {
      problems.push(`${where}: unknown key "${key}" (valid keys: ${Object.keys(VALIDATORS).join(', ')})`);
      continue;
    }
    const k = key as keyof Config;
    if (k === 'cargoArgs') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        problems.push(`${where}: "cargoArgs" must be an object with keys ${CARGO_STEPS.join(', ')}`);
        continue;
      }
      for (const [step, args] of Object.entries(value)) {
        if (!(CARGO_STEPS as readonly string[]).includes(step)) {
          problems.push(`${where}: unknown key "cargoArgs.${step}" (valid: ${CARGO_STEPS.join(', ')})`);
        } else if (stringArray(args)) {
          problems.push(`${where}: "cargoArgs.${step}" must be an array of strings`);
        } else {
          config.cargoArgs[step as (typeof CARGO_STEPS)[number]] = args as string[];
        }
      }
      continue;
    }
    if (k === 'replayFunctions') {
      const parsed = parseReplayFunctions(value);
      if ('problems' in parsed) problems.push(...parsed.problems.map((p) => `${where}: "replayFunctions"${p.startsWith('must') ? ' ' : ': '}${p}`));
      else config.replayFunctions = parsed.functions;
      continue;
    }
    if (k === 'replayTimeoutMs') {
      const budget = parseBudget(value);
      if (typeof budget === 'string') problems.push(`${where}: "replayTimeoutMs" must be ${budget}, got ${JSON.stringify(value)}`);
      else config.replayTimeoutMs = budget;
      continue;
    }
    const problem = VALIDATORS[k](value);
    if (problem) {
      problems.push(`${where}: "${key}" must be ${problem}, got ${JSON.stringify(value)}`);
      continue;
    }
    (config as unknown as Record<string, unknown>)[k] = value;
  }
  if (problems.length) throw new GuardError(problems.join('\n'));
  // sqlx and refinery record applied migrations in a table and run each once: replaying them at
  // every start-up (Loom's way) would block seed INSERTs those tools run safely.
  if (config.naming !== 'loom' && !Object.hasOwn(raw, 'replay')) config.replay = 'once';
  return config;
}

/** Reads `.loom-guard.json`, else the "loom-guard" key of package.json, else the defaults. */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  const file = join(root, CONFIG_FILE);
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text !== null) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new GuardError(`${CONFIG_FILE}: not valid JSON (${(error as Error).message}): fix the file or delete it to use the defaults`);
    }
    return { config: parseConfig(raw, CONFIG_FILE), source: CONFIG_FILE };
  }
  const pkgText = await readFile(join(root, 'package.json'), 'utf8').catch(() => null);
  if (pkgText !== null) {
    let pkg: unknown;
    try {
      pkg = JSON.parse(pkgText);
    } catch {
      pkg = null; // a broken package.json is npm's problem to report, not ours
    }
    if (pkg && typeof pkg === 'object' && 'loom-guard' in pkg) {
      const where = 'package.json#loom-guard';
      return { config: parseConfig((pkg as Record<string, unknown>)['loom-guard'], where), source: where };
    }
  }
  return { config: structuredClone(DEFAULT_CONFIG), source: null };
}
