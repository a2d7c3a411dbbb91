import { posix } from 'node:path';
import { baseName } from './names.js';
import type { Finding, Migration } from './types.js';

/*
 * The hand-written list of `include_str!("../../migrations/NNN_x.sql")` lines through which the
 * server embeds its migrations (Loom: crates/loom-server/src/db/mod.rs). A file missing from it never
 * runs; a line pointing at a missing file breaks the build; an out-of-order line runs migrations in
 * the wrong order.
 */

export interface Registration {
  line: number;
  /** The string literal as written. */
  literal: string;
  /** Repo-relative path it resolves to. */
  path: string;
}

const INCLUDE_RE = /include_str!\s*\(\s*"([^"\\]*(?:\\.[^"\\]*)*)"\s*\)/g;

/** Every include_str! in a Rust file, skipping ones in `//` line comments. */
export function parseRegistrations(registryPath: string, content: string): Registration[] {
  const dir = posix.dirname(registryPath);
  const out: Registration[] = [];
  const lines = content.split('\n');
  lines.forEach((text, index) => {
    const comment = text.indexOf('//');
    for (const m of text.matchAll(INCLUDE_RE)) {
      if (comment >= 0 && comment < (m.index ?? 0)) continue;
      const literal = m[1] as string;
      out.push({ line: index + 1, literal, path: posix.normalize(posix.join(dir, literal)) });
    }
  });
  return out;
}

/** The registrations that point into `folder` (a registry file may embed other resources too). */
export function registrationsInto(folder: string, registrations: Registration[]): Registration[] {
  return registrations.filter((r) => posix.dirname(r.path) === folder);
}

/** The include_str! literal that registers `path` from `registryPath`. */
export function includeLiteral(registryPath: string, path: string): string {
  return posix.relative(posix.dirname(registryPath), path);
}

export interface RegistryInput {
  registryPath: string;
  /** Registrations into this folder, in file order. */
  registrations: Registration[];
  /** Well-named migrations of the folder in the target, ascending. */
  migrations: Migration[];
  /** Every path in the folder in the target (a registration may name a badly named file). */
  existing: Set<string>;
}

export function checkRegistry(input: RegistryInput): Finding[] {
  const findings: Finding[] = [];
  const { registryPath } = input;
  const error = (file: string, message: string, line?: number) =>
    findings.push({ rule: 'registry', file, message, severity: 'error', ...(line ? { line } : {}) });
  const seen = new Map<string, Registration>();
  let previous: { reg: Registration; number: bigint } | null = null;
  const numberOf = new Map(input.migrations.map((m) => [m.path, m.number]));

  for (const reg of input.registrations) {
    if (!input.existing.has(reg.path)) {
      error(registryPath, `include_str!("${reg.literal}") names ${reg.path}, which does not exist: fix or remove the line`, reg.line);
      continue;
    }
    const first = seen.get(reg.path);
    if (first) {
      error(registryPath, `${baseName(reg.path)} is registered twice (also line ${first.line}), so it runs twice: remove this line`, reg.line);
      continue;
    }
    seen.set(reg.path, reg);
    const number = numberOf.get(reg.path);
    if (number === undefined) continue; // a badly named file: the names rule reports it
    if (previous && number < previous.number) {
      error(registryPath, `${baseName(reg.path)} is registered after ${baseName(previous.reg.path)}: keep the include_str! lines in ascending order`, reg.line);
    }
    if (!previous || number > previous.number) previous = { reg, number };
  }

  const last = input.registrations[input.registrations.length - 1];
  for (const m of input.migrations) {
    if (seen.has(m.path)) continue;
    const where = last ? ` after line ${last.line}` : '';
    error(m.path, `is not registered in ${registryPath}, so it never runs: add include_str!("${includeLiteral(registryPath, m.path)}")${where}`);
  }
  return findings;
}

/**
 * Of the Rust files under the crate's src/, the one that registers this folder's migrations: the one
 * with the most include_str! lines into the folder (path order breaks a tie); null when none does.
 */
export function pickRegistry(folder: string, candidates: { path: string; content: string }[]): { path: string; registrations: Registration[] } | null {
  let best: { path: string; registrations: Registration[] } | null = null;
  for (const c of [...candidates].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    if (!c.content.includes('include_str!')) continue;
    const regs = registrationsInto(folder, parseRegistrations(c.path, c.content));
    if (regs.length && (!best || regs.length > best.registrations.length)) best = { path: c.path, registrations: regs };
  }
  return best;
}
