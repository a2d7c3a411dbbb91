/*
 * How a migration file is cut into statements at server start-up: the model loom-guard replays with.
 *
 * PRODUCT.md says Loom's runner "splits on `;`"; the corpus (../shared/corpus/loom-migrations) says a
 * naive split on `;` breaks 005_thread_fts.sql (its trigger bodies hold `;`, and 010's first comment
 * holds one too) and yet all ten files are safe to replay at every start. Both hold only if the runner
 * splits on `;` where SQLite itself ends a statement: outside string literals, quoted identifiers,
 * comments and `CREATE TRIGGER … BEGIN … END` bodies (sqlite3_complete's rule). Loom's own server
 * gets there by hand: its generic loop is `split(';')`, and the files with trigger bodies are run with
 * code that keeps each `CREATE TRIGGER … END;` whole. So loom-guard replays with that splitter and
 * never blocks a file for holding `;` inside a literal, comment or trigger body.
 *
 * What it does instead: `naiveCuts` lists the places a plain `split(';')` would cut a statement, and
 * the replay warns (never blocks) about them for files new or edited in the change, because a file
 * that lands in the runner's generic loop without the hand-written handling would break start-up.
 */

export interface Statement {
  /** The statement's SQL without the terminating `;`. */
  sql: string;
  /** 1-based line of its first non-blank, non-comment character. */
  line: number;
  /** Its first line of code, trimmed: how findings name it. */
  firstLine: string;
  /** A CREATE TRIGGER whose body holds `;`. */
  triggerBody: boolean;
}

/** A `;` where a plain split would cut but SQLite would not. */
export interface NaiveCut {
  line: number;
  /** What the `;` sits in. */
  inside: 'string literal' | 'quoted identifier' | 'comment' | 'trigger body';
  /** The first line of the statement being cut. */
  firstLine: string;
}

export interface SplitResult {
  statements: Statement[];
  /** Cuts a naive `split(';')` would make that SQLite's own splitter does not. */
  naiveCuts: NaiveCut[];
  /** Text after the last statement that never ends: an unterminated string, comment or trigger. */
  unterminated: { line: number; what: string } | null;
}

type Token =
  | { kind: 'semi'; pos: number }
  | { kind: 'word'; text: string; pos: number }
  | { kind: 'other'; pos: number };

const isIdStart = (c: string) => /[A-Za-z_\u0080-\uffff]/.test(c);
const isId = (c: string) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * Splits SQL the way SQLite ends statements. Triggers follow sqlite3_complete's rule: after
 * `CREATE [TEMP|TEMPORARY] TRIGGER`, the statement ends only at `; END ;` (so a `CASE … END` inside
 * the body does not end it).
 */
export function splitStatements(sql: string): SplitResult {
  const statements: Statement[] = [];
  const naiveCuts: NaiveCut[] = [];
  let unterminated: SplitResult['unterminated'] = null;

  // Line of each offset, computed lazily from newline positions.
  const newlines: number[] = [];
  for (let i = 0; i < sql.length; i++) if (sql.charCodeAt(i) === 10) newlines.push(i);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((newlines[mid] as number) < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };

  let start = 0; // where the current statement's text begins
  let codeStart = -1; // first code character of the current statement
  let words: string[] = []; // first few keywords, to recognise CREATE [TEMP] TRIGGER
  let inTrigger = false;
  let afterSemiInTrigger = false; // saw `;` inside a trigger body
  let endAfterSemi = false; // saw `; END`
  let bodySemis = 0;
  let pendingCuts: NaiveCut[] = [];

  const firstLineAt = (pos: number) => {
    const end = sql.indexOf('\n', pos);
    return sql.slice(pos, end < 0 ? sql.length : end).trim();
  };
  // A cut is reported against the statement it falls in; one in a comment outside any statement
  // still leaves a fragment of comment text that runs as SQL, so it is named by its own line.
  const noteCut = (pos: number, inside: NaiveCut['inside']) => {
    const lineStart = sql.lastIndexOf('\n', pos) + 1;
    pendingCuts.push({ line: lineOf(pos), inside, firstLine: firstLineAt(lineStart) });
  };
  const finish = (end: number) => {
    if (codeStart >= 0) {
      statements.push({
        sql: sql.slice(start, end),
        line: lineOf(codeStart),
        firstLine: firstLineAt(codeStart),
        triggerBody: inTrigger && bodySemis > 0,
      });
      naiveCuts.push(...pendingCuts.map((c) => ({ ...c, firstLine: firstLineAt(codeStart) })));
    } else {
      naiveCuts.push(...pendingCuts);
    }
    start = end + 1;
    codeStart = -1;
    words = [];
    inTrigger = false;
    afterSemiInTrigger = false;
    endAfterSemi = false;
    bodySemis = 0;
    pendingCuts = [];
  };
  const token = (t: Token) => {
    if (t.kind !== 'semi' && codeStart < 0) codeStart = t.pos;
    if (t.kind === 'word' && words.length < 4) {
      words.push(t.text.toUpperCase());
      const w = words;
      if (w[0] === 'CREATE' && (w[1] === 'TRIGGER' || ((w[1] === 'TEMP' || w[1] === 'TEMPORARY') && w[2] === 'TRIGGER'))) {
        inTrigger = true;
      }
    } else if (t.kind !== 'word' && words.length < 4) {
      words.push('');
    }
    if (!inTrigger) {
      if (t.kind === 'semi') finish(t.pos);
      return;
    }
    if (t.kind === 'semi') {
      if (endAfterSemi) {
        finish(t.pos);
        return;
      }
      bodySemis++;
      if (codeStart >= 0) noteCut(t.pos, 'trigger body');
      afterSemiInTrigger = true;
      endAfterSemi = false;
      return;
    }
    endAfterSemi = afterSemiInTrigger && t.kind === 'word' && t.text.toUpperCase() === 'END';
    afterSemiInTrigger = false;
  };

  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === ';') {
      token({ kind: 'semi', pos: i });
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      const semi = sql.indexOf(';', i);
      // `-- the end;` before any code of a statement leaves a comment-only piece and a blank one,
      // which run as nothing; any other `;` in a comment turns comment text into code.
      if (semi >= 0 && semi < stop && (codeStart >= 0 || sql.slice(semi, stop).replace(/;/g, '').trim() !== '')) {
        noteCut(semi, 'comment');
      }
      i = stop;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let s = sql.indexOf(';', i); s >= 0 && s < stop; s = sql.indexOf(';', s + 1)) noteCut(s, 'comment');
      if (end < 0) unterminated ??= { line: lineOf(i), what: 'a /* comment is never closed' };
      i = stop;
    } else if (c === "'" || c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c;
      if (codeStart < 0) codeStart = i;
      let j = i + 1;
      for (;;) {
        const k = sql.indexOf(close, j);
        if (k < 0) {
          unterminated ??= { line: lineOf(i), what: `a ${c === "'" ? 'string literal' : 'quoted identifier'} is never closed` };
          j = n;
          break;
        }
        // A doubled quote is an escaped quote, not the end ([…] has no escape).
        if (close !== ']' && sql[k + 1] === close) {
          j = k + 2;
          continue;
        }
        j = k + 1;
        break;
      }
      for (let s = sql.indexOf(';', i); s >= 0 && s < j; s = sql.indexOf(';', s + 1)) {
        noteCut(s, c === "'" ? 'string literal' : 'quoted identifier');
      }
      token({ kind: 'other', pos: i });
      i = j;
    } else if (/\s/.test(c)) {
      i++;
    } else if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isId(sql[j] as string)) j++;
      token({ kind: 'word', text: sql.slice(i, j), pos: i });
      i = j;
    } else {
      token({ kind: 'other', pos: i });
      i++;
    }
  }
  if (codeStart >= 0) {
    if (inTrigger) unterminated ??= { line: lineOf(codeStart), what: 'a CREATE TRIGGER never reaches `END;`' };
    // The last statement may omit its `;`: SQLite and Loom's runner both run it.
    finish(n);
  } else {
    naiveCuts.push(...pendingCuts);
  }
  return { statements, naiveCuts, unterminated };
}

/** True when the text holds no SQL at all (only whitespace and comments). */
export function hasNoStatements(sql: string): boolean {
  return splitStatements(sql).statements.length === 0;
}
