// Hostile migration sets for the replay's property test (test/replay-fuzz.test.mjs): statements drawn
// from a small SQL grammar that reaches every road out of a sealed, bounded replay (ATTACH, DETACH,
// VACUUM INTO, load_extension, a temp directory), every way to never end (recursive CTEs without a
// LIMIT, a view over one, recursive triggers, one function call over a huge blob), and the shapes real sets hold that once crashed or
// blocked the replay (triggers with RAISE and double-quoted strings, FTS5 external content whose
// column is later renamed, renames, drops), plus comments hiding keywords and garbage tokens.
// Each item says what it is, so the test can hold the verdict to what the set contains.
import fc from 'fast-check';

const TABLES = ['t0', 't1', 't2', '"attach"'];
const COLUMNS = ['a', 'b', 'notes', 'body'];
const LITERALS = ["'x'", '"dq"', '1', 'NULL', "'it''s; ATTACH'", "'--'"];

const table = fc.constantFrom(...TABLES);
const column = fc.constantFrom(...COLUMNS);
const literal = fc.constantFrom(...LITERALS);
const maybe = (text) => fc.constantFrom('', text);
const n = fc.nat(9);

/** A statement SQLite may run; `kind` tells the test what it is. */
const item = (kind, arbitrary) => arbitrary.map((sql) => ({ kind, sql }));

/**
 * The grammar. `outside` is the folder every absolute path points into; relative paths land in
 * the process's working directory (the repository, for the CLI).
 */
export function statementArb(outside, { hostile = true } = {}) {
  const path = fc.oneof(
    fc.tuple(fc.constantFrom('a', 'b', 'copy'), n).map(([p, i]) => `${outside}/${p}${i}.db`),
    n.map((i) => `rel${i}.db`),
    n.map((i) => `file:${outside}/uri${i}.db?mode=rwc`),
    fc.constant(':memory:'),
  );
  // Keywords in any case, with comments and line breaks where SQLite allows blanks.
  const kw = (word) => fc.constantFrom(word, word.toLowerCase(), word[0] + word.slice(1).toLowerCase());
  const gap = fc.constantFrom(' ', '\n', ' /* ; */ ', ' -- ;\n', '\t');

  const seal = fc.oneof(
    fc.tuple(kw('ATTACH'), gap, maybe('DATABASE '), path, gap, n).map(([k, g, d, p, g2, i]) => `${k}${g}${d}'${p}'${g2}AS x${i};`),
    fc.tuple(kw('VACUUM'), gap, maybe('main '), kw('INTO'), gap, path).map(([k, g, m, into, g2, p]) => `${k}${g}${m}${into}${g2}'${p}';`),
    fc.tuple(maybe('EXPLAIN '), kw('DETACH'), maybe(' DATABASE'), n).map(([e, k, d, i]) => `${e}${k}${d} x${i};`),
    fc.tuple(kw('EXPLAIN'), maybe(' QUERY PLAN'), gap, kw('VACUUM'), gap, path).map(([e, q, g, k, g2, p]) => `${e}${q}${g}${k} INTO${g2}'${p}';`),
    fc.tuple(fc.constantFrom('load_extension', 'LOAD_EXTENSION'), gap, path).map(([f, g, p]) => `SELECT ${f}${g}('${p}');`),
    fc.tuple(fc.constantFrom('temp_store_directory', 'main.data_store_directory', 'TEMP_STORE_DIRECTORY'), fc.constantFrom(` = '${outside}'`, `('${outside}')`, '')).map(([p, v]) => `PRAGMA ${p}${v};`),
  );
  const reach = fc.constant('PRAGMA temp_store = FILE;');
  const unbounded = fc.oneof(
    fc.constant('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c;'),
    fc.tuple(table, column).map(([t, c]) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) INSERT INTO ${t} (${c}) SELECT x FROM c;`),
    n.map((i) => `CREATE VIEW IF NOT EXISTS forever${i} AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x FROM c;\nSELECT max(x) FROM forever${i};`),
    fc.constant('WITH RECURSIVE a(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM a LIMIT 100000000) SELECT count(*) FROM a, a AS b;'),
    // One function call that runs long: SQLite's progress handler never sees it (only terminating
    // the thread stops it).
    fc.constantFrom('SELECT length(randomblob(900000000));', 'SELECT length(hex(zeroblob(400000000)));', "SELECT length(printf('%.*c', 900000000, 'x'));"),
  );
  const bounded = fc.oneof(
    fc.integer({ min: 1, max: 50 }).map((k) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT ${k}) SELECT count(*) FROM c;`),
    fc.tuple(table, column, fc.integer({ min: 1, max: 5 })).map(([t, c, k]) => `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < ${k}) INSERT OR IGNORE INTO ${t} (${c}) SELECT x FROM c;`),
  );
  const create = fc.tuple(maybe('IF NOT EXISTS '), table).map(([ine, t]) => `CREATE TABLE ${ine}${t} (id INTEGER PRIMARY KEY, a TEXT, b TEXT, notes TEXT);`);
  const insert = fc.tuple(maybe('OR IGNORE '), table, column, literal).map(([o, t, c, v]) => `INSERT ${o}INTO ${t} (${c}) VALUES (${v});`);
  const trigger = fc
    .tuple(maybe('IF NOT EXISTS '), n, fc.constantFrom('BEFORE', 'AFTER'), table, column, literal, fc.constantFrom('"no; way"', "'no'", '"x"'), fc.boolean(), table)
    .map(([ine, i, when, t, c, v, msg, raise, other]) =>
      `CREATE TRIGGER ${ine}tr${i} ${when} INSERT ON ${t}${raise ? ` WHEN new.${c} = ${v}` : ''}\nBEGIN\n    ${raise ? `SELECT RAISE(ABORT, ${msg});` : `INSERT INTO ${other} (${c}) VALUES (new.${c});`}\nEND;`,
    );
  const recursiveTriggers = fc.constantFrom('PRAGMA recursive_triggers = ON;', 'PRAGMA recursive_triggers = OFF;');
  const fts = fc.oneof(
    fc.tuple(maybe('IF NOT EXISTS '), table, column).map(([ine, t, c]) => `CREATE VIRTUAL TABLE ${ine}${t.replace(/"/g, '')}_fts USING fts5(${c}, content='${t.replace(/"/g, '')}', content_rowid='id');`),
    fc.tuple(maybe('IF NOT EXISTS '), table, column).map(([ine, t, c]) => `CREATE VIRTUAL TABLE ${ine}${t.replace(/"/g, '')}_fts USING fts5(${c});`),
    table.map((t) => `INSERT INTO ${t.replace(/"/g, '')}_fts (${t.replace(/"/g, '')}_fts) VALUES ('rebuild');`),
    table.map((t) => `SELECT count(*) FROM ${t.replace(/"/g, '')}_fts WHERE ${t.replace(/"/g, '')}_fts MATCH 'x';`),
  );
  const alter = fc.oneof(
    fc.tuple(table, fc.constantFrom('t0', 'r0', 'r1')).map(([t, u]) => `ALTER TABLE ${t} RENAME TO ${u};`),
    fc.tuple(table, column, column).map(([t, c, d]) => `ALTER TABLE ${t} RENAME COLUMN ${c} TO ${d};`),
    fc.tuple(table, column).map(([t, c]) => `ALTER TABLE ${t} ADD COLUMN ${c} TEXT;`),
    fc.tuple(table, column).map(([t, c]) => `ALTER TABLE ${t} DROP COLUMN ${c};`),
  );
  const drop = fc.oneof(
    fc.tuple(maybe('IF EXISTS '), table).map(([ie, t]) => `DROP TABLE ${ie}${t};`),
    fc.tuple(maybe('IF EXISTS '), n).map(([ie, i]) => `DROP TRIGGER ${ie}tr${i};`),
    fc.tuple(maybe('IF EXISTS '), n).map(([ie, i]) => `DROP VIEW ${ie}forever${i};`),
  );
  const hidden = fc.constantFrom(`ATTACH '${outside}/c.db' AS c;`, `VACUUM INTO '${outside}/c.db';`, 'DETACH c;', ';', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT 1;', "'", '"', '*/', 'END;');
  const comment = fc.oneof(
    hidden.map((h) => `-- ${h.replace(/\n/g, ' ')}\n`),
    hidden.filter((h) => h !== '*/').map((h) => `/* ${h} */`),
  );
  // Anything at all: unbalanced quotes and comments, keywords out of place, a byte-order mark,
  // control characters, non-ASCII. NUL is left out: a NUL byte makes the file binary (its own finding).
  const token = fc.oneof(
    fc.constantFrom('(', ')', "'", '"', '`', '[', ']', ';', ',', 'BEGIN', 'END', 'CASE', 'CREATE', 'TRIGGER', 'ATTACH', 'VACUUM', 'INTO', 'WITH', 'RECURSIVE', '/*', '*/', '--', '\n', '\r\n', '\ufeff', '\u00e9t\u00e9', '\u{1f600}', '\u0007', '\u001b[2J', '$x', '?1', '0x', '1e', "x'ab'", '\\'),
    fc.string({ maxLength: 6 }).map((s) => s.replace(/\u0000/g, '')),
  );
  const garbage = fc.array(token, { minLength: 1, maxLength: 6 }).map((ts) => ts.join(' '));

  const tame = [
    { weight: 2, arbitrary: item('unbounded', unbounded) },
    { weight: 2, arbitrary: item('bounded', bounded) },
    { weight: 5, arbitrary: item('create', create) },
    { weight: 5, arbitrary: item('insert', insert) },
    { weight: 3, arbitrary: item('trigger', trigger) },
    { weight: 1, arbitrary: item('pragma', recursiveTriggers) },
    { weight: 3, arbitrary: item('fts', fts) },
    { weight: 2, arbitrary: item('alter', alter) },
    { weight: 1, arbitrary: item('drop', drop) },
    { weight: 2, arbitrary: item('comment', comment) },
  ];
  if (!hostile) return fc.oneof(...tame);
  return fc.oneof(
    { weight: 3, arbitrary: item('seal', seal) },
    { weight: 1, arbitrary: item('reach', reach) },
    { weight: 3, arbitrary: item('garbage', garbage) },
    ...tame,
  );
}

/** 1..5 migration files of 0..6 statements each, in a Loom migrations folder (001_…sql). */
export function migrationSetArb(outside, { maxFiles = 5 } = {}) {
  const file = (hostile) => fc.tuple(fc.array(statementArb(outside, { hostile }), { maxLength: 6 }), fc.constantFrom('\n', '\n\n', ' ', '\r\n'));
  // One set in three is hostile (file access, garbage); the others hold what real sets hold, so
  // the replay gets past the seal and the first statement often enough to reach the second start.
  const files = fc.oneof({ weight: 2, arbitrary: fc.array(file(false), { minLength: 1, maxLength: maxFiles }) }, { weight: 1, arbitrary: fc.array(file(true), { minLength: 1, maxLength: maxFiles }) });
  return fc.record({
    files,
    mode: fc.constantFrom('loom', 'loom', 'once'),
    // Most sets start with their tables, as real ones do, so the replay gets past the first
    // statement to the second start-up, its snapshots and the FTS5 tables over renamed columns.
    preamble: fc.constantFrom(true, true, true, false),
  }).map(({ files, mode, preamble }) => ({
    mode,
    files: files.map(([items, sep], i) => {
      const all = i === 0 && preamble ? [...TABLES.map((t) => ({ kind: 'create', sql: `CREATE TABLE IF NOT EXISTS ${t} (id INTEGER PRIMARY KEY, a TEXT, b TEXT, notes TEXT);` })), ...items] : items;
      return {
        name: `${String(i + 1).padStart(3, '0')}_step${i + 1}.sql`,
        items: all,
        content: all.length ? `${all.map((s) => s.sql).join(sep)}\n` : '-- nothing\n',
      };
    }),
  }));
}

/** What the set holds, as the verdict must reflect it. */
export function traits(set) {
  const items = set.files.flatMap((f) => f.items);
  const has = (kind) => items.some((s) => s.kind === kind);
  return { garbage: has('garbage'), seal: has('seal'), unbounded: has('unbounded') };
}
