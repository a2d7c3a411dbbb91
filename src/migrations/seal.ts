/*
 * The replay runs on an in-memory database and must touch no file. SQLite reaches the file system
 * from SQL only through ATTACH (which opens or creates a database file), DETACH (pairs with it),
 * VACUUM INTO (which writes a copy), load_extension() (off on both engines, but refused here
 * first, so both say the same) and the deprecated PRAGMA temp_store_directory and
 * data_store_directory (node:sqlite honours them; the WASM build refuses the folder). On the WASM build an
 * authorizer and SQLITE_LIMIT_ATTACHED 0 refuse them as well, but node:sqlite (Node 22) has neither,
 * so every statement is read here first with SQLite's own token rules: what sits in a comment, a
 * string literal or a quoted identifier is not a keyword, and a keyword is one wherever it stands.
 * Pure: text in, the first breach out.
 */

export interface SealBreach {
  /** What the statement would do, as findings say it. */
  what: string;
  /** Offset of its first keyword in the text. */
  offset: number;
}

interface Word {
  text: string;
  pos: number;
}

const isIdStart = (code: number) =>
  (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 0x80;
const isIdPart = (code: number) => isIdStart(code) || (code >= 48 && code <= 57) || code === 36;

/**
 * The bare words of the SQL and the `;` between statements (as the word `;`), in order: comments,
 * string and blob literals and quoted identifiers (`"…"`, `` `…` ``, `[…]`) are skipped whole, as
 * SQLite's tokenizer reads them. An unterminated one swallows the rest, as it does in SQLite.
 */
export function* words(sql: string): Generator<Word> {
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf('\n', i + 2);
      i = end < 0 ? n : end + 1;
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 39 || c === 34 || c === 96 || c === 91) {
      // ' " ` [ : a doubled quote inside is an escaped quote ([…] has no escape).
      const close = c === 91 ? ']' : sql[i] as string;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) {
          j = n;
          break;
        }
        if (c !== 91 && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      i = j;
    } else if (c === 59 /* ; */) {
      yield { text: ';', pos: i };
      i++;
    } else if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdPart(sql.charCodeAt(j))) j++;
      yield { text: sql.slice(i, j).toUpperCase(), pos: i };
      i = j;
    } else if (c >= 48 && c <= 57) {
      // A number, with its exponent or hex digits: `1e5` is not the word `e5`.
      let j = i + 1;
      while (j < n && isIdPart(sql.charCodeAt(j))) j++;
      i = j;
    } else if (c === 36 || c === 58 || c === 64 || c === 63) {
      // $name :name @name ?NNN — parameters, never keywords.
      let j = i + 1;
      while (j < n && isIdPart(sql.charCodeAt(j))) j++;
      i = j;
    } else {
      i++;
    }
  }
}

/** Words after which `load_extension (` names a table, view, index or CTE with its columns, not a call. */
const NAMES_FOLLOW = new Set(['TABLE', 'EXISTS', 'INTO', 'REFERENCES', 'ON', 'INDEX', 'VIEW', 'TRIGGER', 'TO', 'JOIN', 'FROM', 'UPDATE', 'WITH', 'RECURSIVE', ';']);

/** The offset of the first character at or after `i` that is neither a blank nor in a comment. */
function codeAfter(sql: string, i: number): number {
  for (;;) {
    while (i < sql.length && /\s/.test(sql[i] as string)) i++;
    if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end + 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else return i;
  }
}

/**
 * The first statement in `sql` that would reach a file: ATTACH, DETACH, VACUUM … INTO, PRAGMA
 * temp_store_directory or data_store_directory, or a call of load_extension() wherever it stands. Each
 * statement's kind is its first keyword (after EXPLAIN [QUERY PLAN]); a statement starts at the
 * beginning and after every `;`, including those in a trigger body, where ATTACH cannot stand, so
 * reading one there only ever flags SQL SQLite would refuse anyway.
 */
export function sealBreach(sql: string): SealBreach | null {
  let first: Word | null = null;
  let explain = 0;
  let previous = ';';
  for (const w of words(sql)) {
    const before = previous;
    previous = w.text;
    if (w.text === ';') {
      first = null;
      explain = 0;
      continue;
    }
    // Anywhere in a statement: the extension loader opens a shared library named by a path. Off on
    // both engines, each refusing it in its own words; this says the same thing on both.
    if (w.text === 'LOAD_EXTENSION' && !NAMES_FOLLOW.has(before) && sql[codeAfter(sql, w.pos + w.text.length)] === '(') {
      return { what: 'load_extension() loads a shared library from a file', offset: w.pos };
    }
    if (first === null) {
      if (explain === 0 && w.text === 'EXPLAIN') {
        explain = 1;
        continue;
      }
      if (explain === 1 && w.text === 'QUERY') {
        explain = 2;
        continue;
      }
      if (explain === 2 && w.text === 'PLAN') {
        explain = 3;
        continue;
      }
      first = w;
      if (w.text === 'ATTACH') return { what: 'ATTACH opens a database file', offset: w.pos };
      if (w.text === 'DETACH') return { what: 'DETACH works on an attached database file', offset: w.pos };
      continue;
    }
    if (first.text === 'VACUUM' && w.text === 'INTO') return { what: 'VACUUM INTO writes a database file', offset: first.pos };
    // Deprecated, but still honoured by some builds: they point SQLite's own files at a folder.
    if (first.text === 'PRAGMA' && (w.text === 'TEMP_STORE_DIRECTORY' || w.text === 'DATA_STORE_DIRECTORY')) {
      return { what: `PRAGMA ${w.text.toLowerCase()} points SQLite's files at a folder`, offset: first.pos };
    }
  }
  return null;
}
