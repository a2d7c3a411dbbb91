import { shellWord } from '../invocation.js';
import { commandExists, run } from '../proc.js';

/*
 * Which Cargo.nix generator `nix update` runs, and whether it can work here: the one choice
 * shared by `nix update` and `doctor`, so doctor names (and probes) the generator that will really run.
 */

export const CARGO2NIX_UPDATE = ['cargo2nix-update'];
export const CARGO2NIX = ['cargo2nix', '-o', '-l'];
export const NIX_RUN = ['nix', 'run', 'github:cargo2nix/cargo2nix/release-0.12', '--', '-o', '-l'];
/** `nix run` with the features it needs switched on for this one call. */
export const NIX_RUN_WITH_FEATURES = ['nix', '--extra-experimental-features', 'nix-command flakes', ...NIX_RUN.slice(1)];

/** Set while a generator runs, so a cargo2nix-update that itself calls `loom-guard nix update` does not loop. */
export const NESTED_ENV = 'LOOM_GUARD_NIX_UPDATE';

export interface Generator {
  command: string[];
  /** Why this one, in words for doctor and the progress line. */
  why: string;
  /** Where it came from: the config's `regenerate`, or found on PATH. */
  source: 'config' | 'cargo2nix-update' | 'cargo2nix' | 'nix';
}

/**
 * The generator `nix update` runs, in order: config `regenerate`; the repository's own
 * `cargo2nix-update` (Loom's documented command: it knows the project's flags and pinned cargo2nix)
 * when on PATH; `cargo2nix -o -l`; `nix run` of cargo2nix 0.12. Null when there is none.
 */
export async function pickGenerator(configured: string[] | null, env: NodeJS.ProcessEnv = process.env): Promise<Generator | null> {
  if (configured) return { command: configured, why: 'config "regenerate"', source: 'config' };
  if (!env[NESTED_ENV] && (await commandExists('cargo2nix-update'))) return { command: CARGO2NIX_UPDATE, why: "the repository's cargo2nix-update, on PATH", source: 'cargo2nix-update' };
  if (await commandExists('cargo2nix')) return { command: CARGO2NIX, why: 'cargo2nix is on PATH', source: 'cargo2nix' };
  if (await commandExists('nix')) return { command: NIX_RUN, why: 'nix is on PATH: cargo2nix 0.12 through nix run', source: 'nix' };
  return null;
}

export interface NixFeatures {
  /** `nix (Nix) 2.8.0` */
  version: string;
  /** The experimental features `nix run github:…` needs that this Nix has off. */
  missing: string[];
}

const NEEDED = ['nix-command', 'flakes'];

/** The `experimental-features = …` value of a `nix show-config` listing, or the bare value. */
export function parseFeatures(output: string): string[] {
  const line = output.split('\n').find((l) => /^\s*experimental-features\s*=/.test(l));
  const value = line ? line.slice(line.indexOf('=') + 1) : output;
  return value.trim().split(/\s+/).filter(Boolean);
}

async function nix(args: string[]): Promise<{ code: number; out: string } | null> {
  try {
    const r = await run('nix', args);
    return { code: r.exitCode, out: r.all };
  } catch {
    return null;
  }
}

/**
 * Asks the Nix on PATH which experimental features it has on: `nix config show` (Nix >= 2.19),
 * else `nix show-config`; when `nix-command` itself is off, asks again with it switched on for
 * the question alone, to learn about `flakes`. Null when there is no Nix or it cannot tell.
 */
export async function nixFeatures(): Promise<NixFeatures | null> {
  const versionRun = await nix(['--version']);
  if (!versionRun || versionRun.code !== 0) return null;
  const version = versionRun.out.trim().split('\n')[0] ?? 'nix';
  const ask = async (extra: string[]): Promise<string[] | null> => {
    const modern = await nix([...extra, 'config', 'show', 'experimental-features']);
    if (modern?.code === 0) return parseFeatures(modern.out);
    const legacy = await nix([...extra, 'show-config']);
    if (legacy?.code === 0) return parseFeatures(legacy.out);
    return null;
  };
  const plain = await ask([]);
  if (plain) return { version, missing: NEEDED.filter((f) => !plain.includes(f)) };
  const withCommand = await ask(['--extra-experimental-features', 'nix-command']);
  if (!withCommand) return null;
  return { version, missing: ['nix-command', ...NEEDED.filter((f) => f !== 'nix-command' && !withCommand.includes(f))] };
}

/** The fix for a Nix whose `nix run` cannot start cargo2nix: the one line to switch the features on. */
export function featuresFix(missing: string[]): string {
  return `enable ${missing.join(' and ')}: add "experimental-features = nix-command flakes" to ~/.config/nix/nix.conf, or run it once as ${NIX_RUN_WITH_FEATURES.map(shellWord).join(' ')}`;
}
