import { createHash } from 'node:crypto';

/*
 * The resources stamp. cargo2nix hashes no local source, so a Cargo.nix regenerated after a
 * migration changed can be byte-identical to the old one; the stamp is what proves it was
 * regenerated for these resources. It is one comment line in Cargo.nix:
 *
 *   # loom-guard resources-stamp: sha256=<64 hex> files=<count>
 *
 * sha256 is taken over the resource files sorted by repo-relative POSIX path (JS string order),
 * feeding for each file: the path's UTF-8 bytes, a NUL byte, the content length in decimal ASCII,
 * a NUL byte, then the content bytes. Adding, removing, renaming or editing any file changes it.
 */

export const STAMP_PREFIX = '# loom-guard resources-stamp:';
const STAMP_RE = /^# loom-guard resources-stamp: sha256=([0-9a-f]{64}) files=(\d+)[ \t]*$/m;

export interface ResourceFile {
  path: string;
  content: Buffer;
}

export interface Stamp {
  sha256: string;
  files: number;
}

export function computeStamp(files: ResourceFile[]): Stamp {
  const hash = createHash('sha256');
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    hash.update(file.path, 'utf8');
    hash.update('\0');
    hash.update(String(file.content.length));
    hash.update('\0');
    hash.update(file.content);
  }
  return { sha256: hash.digest('hex'), files: sorted.length };
}

export function formatStamp(stamp: Stamp): string {
  return `${STAMP_PREFIX} sha256=${stamp.sha256} files=${stamp.files}`;
}

/** The stamp recorded in a Cargo.nix, or null when it has none. */
export function readStamp(cargoNix: string | Buffer): Stamp | null {
  const match = typeof cargoNix === 'string' ? STAMP_RE.exec(cargoNix) : stampLine(cargoNix);
  return match ? { sha256: match[1] as string, files: Number(match[2]) } : null;
}

const PREFIX_BYTES = Buffer.from(STAMP_PREFIX);

/**
 * STAMP_RE on a file's bytes without decoding the whole file: a match is a line that starts with
 * the prefix, so only those lines are decoded (JavaScript's `^` and `$` also take \r, U+2028 and
 * U+2029 as line ends, and so does this).
 */
function stampLine(bytes: Buffer): RegExpExecArray | null {
  for (let at = bytes.indexOf(PREFIX_BYTES); at >= 0; at = bytes.indexOf(PREFIX_BYTES, at + 1)) {
    const before = at === 0 ? '' : bytes.toString('utf8', Math.max(0, at - 3), at);
    if (at > 0 && !/[\n\r\u2028\u2029]$/.test(before)) continue;
    const newline = bytes.indexOf(10, at);
    const match = STAMP_RE.exec(bytes.toString('utf8', at, newline < 0 ? bytes.length : newline));
    if (match) return match;
  }
  return null;
}

/**
 * Cargo.nix with the stamp line set: replaces an existing stamp line, else inserts it after the
 * generator's header comment lines (so cargo2nix's own header stays first).
 */
export function writeStamp(cargoNix: string, stamp: Stamp): string {
  const line = formatStamp(stamp);
  if (readStamp(cargoNix) || cargoNix.includes(STAMP_PREFIX)) {
    return cargoNix.replace(/^# loom-guard resources-stamp:.*$/m, line);
  }
  const lines = cargoNix.split('\n');
  let at = 0;
  while (at < lines.length && (lines[at] as string).startsWith('#')) at++;
  lines.splice(at, 0, line);
  return lines.join('\n');
}
