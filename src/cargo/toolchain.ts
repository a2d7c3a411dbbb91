import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/*
 * One toolchain decision for a pushed commit, made the way rustup makes it for the user's
 * repository path, so that the in-place run and the private checkout (which lives at another
 * path, where a `rustup override` of the repository does not apply) use the same one:
 *   1. RUSTUP_TOOLCHAIN in the environment;
 *   2. walking up from the repository: in each folder, a `rustup override` for it, then a
 *      `rust-toolchain` or `rust-toolchain.toml` file (at the repository's root: the pushed
 *      commit's, not the working tree's);
 *   3. rustup's default toolchain.
 * Null when rustup is not in use (no settings file): cargo on PATH is then the only toolchain.
 */

export interface ToolchainDecision {
  /** What RUSTUP_TOOLCHAIN gets: a toolchain name or a custom toolchain's path. */
  toolchain: string;
  /** Where it came from, for the notes: `rustup override for /repo`, `rust-toolchain.toml`, `default`. */
  source: string;
}

interface RustupSettings {
  default_toolchain?: unknown;
  overrides?: Record<string, unknown>;
}

function rustupHome(env: NodeJS.ProcessEnv): string {
  if (env.RUSTUP_HOME && isAbsolute(env.RUSTUP_HOME)) return env.RUSTUP_HOME;
  return join(env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir(), '.rustup');
}

const SIMPLE_LINE = /^(?:([A-Za-z0-9_-]+)|("(?:[^"\\]|\\.)*"))\s*=\s*("(?:[^"\\]|\\.)*")\s*(?:#.*)?$/;

/**
 * rustup's own settings.toml: string keys and values, a `[overrides]` table. Read line by line,
 * since this runs before `rustc -vV` on every push and a TOML parser costs an import; null when a
 * line is anything else, and the whole parser reads it.
 */
export function parseSimpleSettings(text: string): RustupSettings | null {
  const settings: RustupSettings = {};
  const overrides: Record<string, unknown> = {};
  let table = '';
  try {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const header = /^\[([A-Za-z0-9_.-]+)\]\s*(?:#.*)?$/.exec(line);
      if (header) {
        table = header[1] as string;
        continue;
      }
      const m = SIMPLE_LINE.exec(line);
      if (!m) return null;
      const key = m[1] ?? (JSON.parse(m[2] as string) as string);
      const value = JSON.parse(m[3] as string) as string;
      if (table === 'overrides') overrides[key] = value;
      else if (!table && key === 'default_toolchain') settings.default_toolchain = value;
    }
  } catch {
    return null; // an escape JSON does not know (TOML's \U): the whole parser
  }
  settings.overrides = overrides;
  return settings;
}

async function readSettings(env: NodeJS.ProcessEnv): Promise<RustupSettings | null> {
  const text = await readFile(join(rustupHome(env), 'settings.toml'), 'utf8').catch(() => null);
  if (text === null) return null;
  const simple = parseSimpleSettings(text);
  if (simple) return simple;
  const { parse } = await import('smol-toml');
  try {
    return parse(text) as RustupSettings;
  } catch {
    return null;
  }
}

/**
 * The toolchain a `rust-toolchain(.toml)` file names: `[toolchain] channel` or `path`, or the
 * legacy one-line form. Null when it names none (only components or targets): rustup goes on.
 */
export function toolchainOfFile(text: string, folder: string): string | null {
  const trimmed = text.trim();
  if (trimmed && !trimmed.includes('\n') && !trimmed.includes('=') && !trimmed.startsWith('[')) return trimmed;
  const channel = /^\s*channel\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
  if (channel) return channel;
  const path = /^\s*path\s*=\s*["']([^"']+)["']/m.exec(text)?.[1];
  if (path) return isAbsolute(path) ? path : join(folder, path);
  return null;
}

export const TOOLCHAIN_FILES = ['rust-toolchain', 'rust-toolchain.toml'];
const FILES = TOOLCHAIN_FILES;

/**
 * Decides the toolchain for `commit` of the repository whose real path is `realRoot`.
 * `atRoot(name)` gives the pushed commit's file at the repository's root (null when absent).
 */
export async function resolveToolchain(
  realRoot: string,
  atRoot: (name: string) => Promise<string | null>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ToolchainDecision | null> {
  if (env.RUSTUP_TOOLCHAIN) return { toolchain: env.RUSTUP_TOOLCHAIN, source: 'RUSTUP_TOOLCHAIN' };
  // The commit's files are asked for (a git process each) while the settings are read: this
  // decision stands before `rustc -vV` on every push, cache hits included.
  const atRootFiles = new Map(FILES.map((name) => [name, atRoot(name)] as const));
  for (const pending of atRootFiles.values()) pending.catch(() => undefined);
  const settings = await readSettings(env);
  if (!settings) return null;
  const overrides = settings.overrides && typeof settings.overrides === 'object' ? settings.overrides : {};
  for (let dir = realRoot; ; dir = dirname(dir)) {
    const override = overrides[dir];
    if (typeof override === 'string' && override) return { toolchain: override, source: `rustup override for ${dir}` };
    // rustup prefers the legacy `rust-toolchain` when both exist.
    for (const name of FILES) {
      const text = dir === realRoot ? await (atRootFiles.get(name) ?? atRoot(name)) : await readFile(join(dir, name), 'utf8').catch(() => null);
      const named = text === null ? null : toolchainOfFile(text, dir);
      if (named) return { toolchain: named, source: dir === realRoot ? name : join(dir, name) };
    }
    if (dirname(dir) === dir) break;
  }
  const fallback = typeof settings.default_toolchain === 'string' ? settings.default_toolchain : '';
  return fallback ? { toolchain: fallback, source: 'rustup default' } : null;
}
