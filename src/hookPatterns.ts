import type { Config } from './config.js';

/*
 * The patterns the pre-commit shim uses to decide, without Node, that nothing relevant is staged.
 * Erring towards "relevant" only costs a Node start; erring the other way would let a commit skip its
 * checks, so anything that cannot be expressed exactly disables the no-op path altogether.
 */

/** Files whose change since install means the shim's patterns may be stale: Node decides then. */
export const WATCH_FILES = ['.loom-guard.json', 'package.json', 'Cargo.toml'];

/** Paths relevant to some check, whatever the config says. */
const ALWAYS = [
  'Cargo.toml',
  'Cargo.lock',
  'Cargo.nix',
  '*/Cargo.toml',
  '*.rs',
  '*.sql',
  'rust-toolchain',
  'rust-toolchain.toml',
  '.cargo/*',
  'clippy.toml',
  '.clippy.toml',
  'rustfmt.toml',
  '.rustfmt.toml',
  '.loom-guard.json',
  'package.json',
];

const SAFE = /^[A-Za-z0-9_./*?-]+$/;

/**
 * A cargo/picomatch glob as a sh `case` pattern that matches at least the same paths (sh's `*`
 * also crosses `/`, which only widens it). Null when it cannot be expressed.
 */
export function globToCase(glob: string): string | null {
  const trimmed = glob.replace(/^\.\//, '').replace(/\/+$/, '');
  if (!trimmed || !SAFE.test(trimmed)) return null;
  return trimmed.replace(/\*\*/g, '*').replace(/\*+/g, '*');
}

export interface ShimPatterns {
  patterns: string[];
}

/**
 * Patterns for a workspace: every member folder (root Cargo.toml `workspace.members`), every folder
 * holding a Cargo.toml (path dependencies become members without being listed), the config's
 * migrations folders, registry and resources, and ALWAYS. Null disables the no-op path: a root
 * package (all of the repository is a crate), or a glob or folder sh cannot express.
 */
export function shimPatterns(config: Config, rootManifest: Record<string, unknown> | null, manifestDirs: string[] = []): ShimPatterns | null {
  const patterns = new Set(ALWAYS);
  const add = (glob: string, under: boolean): boolean => {
    const pattern = globToCase(glob);
    if (pattern === null) return false;
    patterns.add(pattern);
    if (under) patterns.add(`${pattern}/*`);
    return true;
  };
  if (rootManifest) {
    if ('package' in rootManifest) return null;
    const workspace = rootManifest.workspace as { members?: unknown } | undefined;
    const members = Array.isArray(workspace?.members) ? workspace.members : [];
    for (const member of members) {
      if (typeof member !== 'string' || !add(member, true)) return null;
    }
  }
  for (const dir of manifestDirs) {
    if (!dir || coveredBy([...patterns], `${dir}/x`)) continue;
    // A folder name with glob characters would match more than itself: only widening, but sh
    // would also read `[` specially, so such a name turns the no-op path off.
    if (/[*?[\]]/.test(dir) || !add(dir, true)) return null;
  }
  for (const folder of config.migrations) if (!add(folder, true)) return null;
  for (const glob of config.resources) if (!add(glob, false)) return null;
  if (config.registry !== null && !add(config.registry, false)) return null;
  return { patterns: [...patterns] };
}

/** Whether one of the sh patterns (only `*` and `?` as wildcards here) already matches `path`. */
function coveredBy(patterns: string[], path: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(path));
}

/** The sh function the shim calls for each staged path. */
export function relevantFunction(shim: ShimPatterns): string {
  // Patterns hold only [A-Za-z0-9_./*?-]: nothing a shell could read as code.
  return `relevant() {\n  case $1 in\n    ${shim.patterns.join(' | ')}) return 0 ;;\n  esac\n  return 1\n}`;
}
