/*
 * Hanging indents for long report lines: a terminal that wraps a long line by itself starts the
 * rest at column 0, under the symbols, where the eye does not look for it. Lines are wrapped here
 * only for a terminal (its width is known); a pipe or a file gets each line whole, for grep.
 */

const ANSI = /\x1b\[[0-9;]*m/g;

/** Visible width: escape codes take no room. */
export const visibleLength = (text: string) => text.replace(ANSI, '').length;

/**
 * `text` cut at spaces into lines of at most `width` columns: the first line follows `lead`
 * (already printed, `leadWidth` columns wide), every further line starts with `indent` spaces.
 * A word longer than a line (a path, a hash) is never cut. `width` undefined: one line.
 */
export function hanging(text: string, leadWidth: number, indent: number, width: number | undefined): string {
  if (!width || width < 40 || leadWidth + visibleLength(text) <= width) return text;
  const lines: string[] = [];
  let line = '';
  let room = width - leadWidth;
  for (const word of text.split(' ')) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && visibleLength(candidate) > room) {
      lines.push(line);
      line = word;
      room = width - indent;
    } else {
      line = candidate;
    }
  }
  lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

/** The columns of a stream that is a terminal, else undefined (no wrapping). */
export const terminalWidth = (stream: { isTTY?: boolean; columns?: number }) => (stream.isTTY && stream.columns ? stream.columns : undefined);
