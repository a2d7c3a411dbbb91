/*
 * picomatch globs as sh `case` patterns, for the pre-commit shim. Pure and light: the shim's
 * patterns are rendered at install and on refresh.
 *
 * The only promise is one-sided: whatever picomatch (with lint-staged's options: dot, matchBase for
 * a glob without `/`) matches, some returned pattern matches too. Matching more only costs a Node
 * start. So `*` and `?` stay as they are (sh's also cross `/`), a `**` segment folds into its
 * neighbours so it can also match zero folders, braces expand exactly, and anything whose meaning is
 * not certain (extglobs, classes, escapes, ranges, a lone or unbalanced brace, negation) is null:
 * callers widen it to a whole folder or turn the no-op path off.
 */

/** At most this many patterns from one glob's braces: past it, the caller widens. */
const MAX_EXPANSIONS = 64;

/** Characters that are literal in picomatch and that we copy into a quoted sh word. */
const LITERAL = /^[\x20-\x7e]$/;
/** picomatch reads these specially (or may, next to a parenthesis): never translated. */
const SPECIAL = new Set(['[', ']', '(', ')', '\\', '|', '{', '}']);

/**
 * `{a,b}` alternatives expanded, nested ones too, as picomatch reads them. Null when a brace is
 * unbalanced, holds no top-level comma (picomatch reads `{a}` literally and `{1..3}` as a range),
 * or the expansion grows past MAX_EXPANSIONS.
 */
export function expandBraces(glob: string): string[] | null {
  const open = glob.indexOf('{');
  const close = glob.indexOf('}');
  if (open === -1) return close === -1 ? [glob] : null;
  if (close !== -1 && close < open) return null;
  let depth = 0;
  let end = -1;
  const commas: number[] = [];
  for (let i = open; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) {
      end = i;
      break;
    } else if (ch === ',' && depth === 1) commas.push(i);
  }
  // picomatch turns a brace group into a regex group: a `+` after it repeats it.
  if (end === -1 || commas.length === 0 || glob[end + 1] === '+') return null;
  const cuts = [open, ...commas, end];
  const head = glob.slice(0, open);
  const tail = glob.slice(end + 1);
  const out: string[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const alternative = glob.slice(cuts[k]! + 1, cuts[k + 1]);
    const expanded = expandBraces(head + alternative + tail);
    if (expanded === null) return null;
    out.push(...expanded);
    if (out.length > MAX_EXPANSIONS) return null;
  }
  return out;
}

/**
 * A brace-free glob as sh patterns, or null when it holds something we do not translate. A trailing
 * `/**` gives two (the folder itself and what is under it), so a folder's neighbours stay out.
 */
function alternativeToCase(glob: string): string[] | null {
  let g = glob;
  while (g.startsWith('./')) g = g.slice(2);
  if (!g || g.startsWith('!')) return null;
  for (const ch of g) if (!LITERAL.test(ch) || SPECIAL.has(ch)) return null;
  // `**/**` means what `**` means.
  const segments = g.split('/').filter((s, i, all) => !(s === '**' && all[i - 1] === '**'));
  if (segments.length > 1 && segments.at(-1) === '**') {
    const folder = segmentsToCase(segments.slice(0, -1));
    return [folder, folder.endsWith('*') ? folder : `${folder === "''" ? '' : folder}/*`];
  }
  return [segmentsToCase(segments)];
}

function segmentsToCase(segments: string[]): string {
  let out = '';
  let literal = '';
  const flush = () => {
    if (literal) out += /^[A-Za-z0-9_./-]+$/.test(literal) ? literal : `'${literal.replace(/'/g, `'\\''`)}'`;
    literal = '';
  };
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === '**') {
      // `a/**/b` also matches `a/b`, `a/**` also matches `a`: the star takes the slash's place.
      if (last && literal.endsWith('/')) literal = literal.slice(0, -1);
      flush();
      if (!out.endsWith('*')) out += '*';
      return;
    }
    for (const ch of segment) {
      if (ch === '*' || ch === '?') {
        flush();
        if (ch === '?') out += '?';
        else if (!out.endsWith('*')) out += '*';
      } else literal += ch;
    }
    if (!last) literal += '/';
  });
  flush();
  // An empty pattern would break the `case` line: quoted, it matches only the empty name.
  return out || "''";
}

/**
 * A glob as sh `case` patterns that together match at least what picomatch matches (paths relative
 * to the same folder, no matchBase: callers add the `**` form for that). Null when it cannot be said.
 */
export function globToCase(glob: string): string[] | null {
  const expanded = expandBraces(glob);
  if (expanded === null) return null;
  const out: string[] = [];
  for (const alternative of expanded) {
    const patterns = alternativeToCase(alternative);
    if (patterns === null) return null;
    out.push(...patterns);
  }
  return [...new Set(out)];
}
