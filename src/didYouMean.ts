/*
 * "did you mean …" for a mistyped name (a check id in LOOM_GUARD_SKIP or `check`, a command).
 * A leaf, pure: the skip parser and the CLI import it before anything else is loaded.
 */

/** Edit distance with adjacent swaps counted as one edit (`clipyp` → `clippy` is one). */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((d[i - 1]?.[j] ?? 0) + 1, (d[i]?.[j - 1] ?? 0) + 1, (d[i - 1]?.[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (d[i - 2]?.[j - 2] ?? 0) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return d[a.length]?.[b.length] ?? Infinity;
}

/**
 * The candidate closest to `word`, or null when none is close enough to be a typo: at most one
 * edit for short names, a third of the length for longer ones, or a plural/prefix of it
 * (`tests` → `test`, `lint` → `lint-staged`).
 */
export function closest(word: string, candidates: readonly string[]): string | null {
  const w = word.toLowerCase();
  let best: { name: string; d: number } | null = null;
  for (const name of candidates) {
    const d = distance(w, name.toLowerCase());
    if (!best || d < best.d) best = { name, d };
  }
  if (best && best.d <= Math.max(1, Math.floor(best.name.length / 3))) return best.name;
  const prefix = candidates.filter((c) => w.length >= 3 && (c.startsWith(w) || w.startsWith(c)));
  return prefix.length === 1 ? (prefix[0] as string) : null;
}

/** ` (did you mean "test"?)`, or '' when nothing is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closest(word, candidates);
  return match ? ` (did you mean "${match}"?)` : '';
}
