// The replay on every SQLite engine this runtime has (node:sqlite from Node 22.13, the WASM build
// everywhere): the same findings on each, and on each other. Then `replayFunctions`: the config,
// and a migration calling an application-defined function, blocked without it and passing with it
// through `migrations check` and a real `git commit`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CORPUS, Repo, ROOT } from './helpers/repo.mjs';

const { replay } = await import(join(ROOT, 'dist/migrations/replay.js'));
const { splitStatements } = await import(join(ROOT, 'dist/migrations/split.js'));
const { availableEngines, loadEngine } = await import(join(ROOT, 'dist/sqlite/engine.js'));
const { parseConfig } = await import(join(ROOT, 'dist/config.js'));

const DIR = 'db/migrations';
const f = (name, content) => ({ path: `${DIR}/${name}`, content });
const corpus = readdirSync(join(CORPUS, 'loom-migrations'))
  .sort()
  .map((name) => f(name, readFileSync(join(CORPUS, 'loom-migrations', name), 'utf8')));
const engines = availableEngines();
/** Where a sealed replay must never create a file. */
const OUTSIDE = mkdtempSync(join(tmpdir(), 'lg-outside-'));
process.on('exit', () => rmSync(OUTSIDE, { recursive: true, force: true }));

const table = f('001_t.sql', 'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);\nCREATE TABLE IF NOT EXISTS log (msg TEXT);\n');
/** name -> [files, options, check(findings)]: run on each engine, and compared across engines. */
const CASES = {
  'the corpus migrations replay cleanly': [corpus, {}, (r) => assert.equal(r, [])],
  'an INSERT without OR IGNORE duplicates rows': [
    [table, f('002_seed.sql', "INSERT INTO log (msg) VALUES ('x');\n")],
    {},
    (r) => {
      assert.is(r.length, 1);
      assert.match(r[0].message, /takes table log from 1 to 2 rows/);
    },
  ],
  'a unique key makes the second start fail': [
    [table, f('002_seed.sql', "INSERT INTO t (k) VALUES ('a');\n")],
    {},
    (r) => assert.match(r[0].message, /fails when the server starts again: UNIQUE constraint failed: t\.k/),
  ],
  'a syntax error names the statement and SQLite\'s message': [
    [table, f('002_bad.sql', 'CREAT TABLE x (a);\n')],
    {},
    (r) => assert.match(r[0].message, /^`CREAT TABLE x \(a\);` fails on a fresh database: near "CREAT": syntax error$/),
  ],
  'double-quoted strings are string literals, as SQLite\'s default (and rusqlite) has them': [
    [
      table,
      f('002_dqs.sql', 'INSERT OR IGNORE INTO t (k) VALUES ("a");\nCREATE TRIGGER IF NOT EXISTS t_no_x BEFORE INSERT ON t WHEN new.k = \'x\' BEGIN SELECT RAISE(ABORT, "x is reserved"); END;\n'),
      f('003_bad.sql', "INSERT OR IGNORE INTO t (k) VALUES ('x');\n"),
    ],
    {},
    (r) => {
      // The trigger is accepted; the later real error (its RAISE) is what gets reported.
      assert.is(r.length, 1);
      assert.is(r[0].file, `${DIR}/003_bad.sql`);
      assert.match(r[0].message, /fails on a fresh database: x is reserved/);
    },
  ],
  'ATTACH, DETACH and VACUUM INTO are findings naming file and line, whatever comments and strings hide them': [
    [
      table,
      f('002_attach.sql', `-- ATTACH 'no.db' AS c; a comment\nINSERT OR IGNORE INTO t (k, v) VALUES ('attach', 'VACUUM INTO ''x''');\n/* ; */ attach\n  DATABASE '${join(OUTSIDE, 'a.db')}' AS other;\n`),
      f('003_vacuum.sql', `SELECT 1; EXPLAIN QUERY PLAN SELECT 2;\nVACUUM main\nINTO '${join(OUTSIDE, 'v.db')}';\nDETACH other;\n`),
    ],
    {},
    (r) => {
      assert.equal(r.map((x) => [x.file, x.line]), [[`${DIR}/002_attach.sql`, 3], [`${DIR}/003_vacuum.sql`, 2], [`${DIR}/003_vacuum.sql`, 4]]);
      assert.match(r[0].message, /reaches outside the database: ATTACH opens a database file/);
      assert.match(r[1].message, /VACUUM INTO writes a database file/);
      assert.equal(readdirSync(OUTSIDE), []);
    },
  ],
  // Found by comparing the engines on generated sets: WASM said "no such function" (and suggested
  // declaring it in replayFunctions), node:sqlite "not authorized". Now both say what it is.
  'load_extension() is refused as reaching outside, the same on every engine, wherever it stands': [
    [table, f('002_ext.sql', `SELECT 1;\nINSERT OR IGNORE INTO t (k) VALUES (load_extension /* why */\n('${join(OUTSIDE, 'lib.so')}'));\nCREATE TABLE IF NOT EXISTS load_extension (a);\n`)],
    {},
    (r) => {
      assert.equal(r.map((x) => [x.file, x.line]), [[`${DIR}/002_ext.sql`, 2]]);
      assert.match(r[0].message, /reaches outside the database: load_extension\(\) loads a shared library from a file/);
    },
  ],
  // Found by comparing the engines on generated sets: node:sqlite honours the folder, WASM refused it.
  'PRAGMA temp_store_directory and data_store_directory are refused as reaching outside': [
    [table, f('002_tmp.sql', `PRAGMA temp_store = FILE;\nPRAGMA temp_store_directory = '${OUTSIDE}';\nPRAGMA main.data_store_directory;\n`)],
    {},
    (r) => {
      assert.equal(r.map((x) => [x.file, x.line]), [[`${DIR}/002_tmp.sql`, 2], [`${DIR}/002_tmp.sql`, 3]]);
      assert.match(r[0].message, /reaches outside the database: PRAGMA temp_store_directory points SQLite's files at a folder/);
    },
  ],
  'a quoted "attach" is a name, not a statement': [
    [f('001_q.sql', 'CREATE TABLE IF NOT EXISTS "attach" ("vacuum" TEXT, [into] TEXT);\n')],
    {},
    (r) => assert.equal(r, []),
  ],
  'a recursive CTE without an end is a finding naming it, within the budget': [
    [table, f('002_forever.sql', 'SELECT 1;\nWITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c;\n')],
    { budget: { statementMs: 300, runMs: 5000 } },
    (r) => {
      assert.is(r.length, 1);
      assert.is(r[0].line, 2);
      assert.match(r[0].message, /^`WITH RECURSIVE c\(x\) AS .*` never finished: it ran past its budget of 300 ms .*"replayTimeoutMs"/);
    },
  ],
  'the run budget stops a set of slow statements': [
    [table, f('002_slow.sql', Array.from({ length: 8 }, () => 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 300000000) SELECT count(*) FROM c;').join('\n'))],
    { budget: { statementMs: 250, runMs: 600 } },
    (r) => {
      assert.is(r.length, 1);
      assert.match(r[0].message, /never finished/);
    },
  ],
  // One C function call: SQLite's progress handler never runs inside it; the WASM replay's thread is
  // terminated at the budget, as the node:sqlite child is killed.
  'one function call that runs long (randomblob, hex of a zeroblob) ends at the budget': [
    [table, f('002_blob.sql', 'SELECT 1;\nSELECT length(randomblob(900000000));\n'), f('003_hex.sql', 'SELECT length(hex(zeroblob(400000000)));\n')],
    { budget: { statementMs: 200, runMs: 2000 } },
    (r) => {
      assert.is(r.length, 1);
      assert.equal([r[0].file, r[0].line], [`${DIR}/002_blob.sql`, 2]);
      assert.match(r[0].message, /^`SELECT length\(randomblob\(900000000\)\);` never finished: it ran past its budget of 200 ms/);
    },
  ],
  'an FTS5 external-content table whose column was renamed: findings, never a crash': [
    [
      f(
        '001_notes.sql',
        [
          'CREATE TABLE IF NOT EXISTS T (id INTEGER PRIMARY KEY, notes TEXT);',
          "CREATE VIRTUAL TABLE IF NOT EXISTS t_fts USING fts5(notes, content='T', content_rowid='id');",
          "INSERT OR IGNORE INTO T (id, notes) VALUES (1, 'x');",
          '',
        ].join('\n'),
      ),
      f('002_rename.sql', 'ALTER TABLE T RENAME COLUMN notes TO body;\n'),
    ],
    { mode: 'once' },
    (r) => assert.equal(r, []),
  ],
  'replayBase: a base schema is applied first and never judged': [
    [f('001_more.sql', 'CREATE TABLE IF NOT EXISTS extra (user_id INTEGER REFERENCES users (id));\n')],
    { base: [{ path: 'schema/base.sql', content: 'CREATE TABLE users (id INTEGER PRIMARY KEY);\nINSERT INTO users VALUES (1);\n' }] },
    (r) => assert.equal(r, []),
  ],
  'replayBase: a failing base statement is named as the base\'s': [
    [table],
    { base: [{ path: 'schema/base.sql', content: "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREAT INDEX x ON users (id);\n" }] },
    (r) => {
      assert.is(r.length, 1);
      assert.is(r[0].file, 'schema/base.sql');
      assert.match(r[0].message, /of the base schema \(config "replayBase"\) fails: .*syntax error/);
    },
  ],
  'foreign keys are enforced': [
    [f('001_fk.sql', 'CREATE TABLE IF NOT EXISTS p (id INTEGER PRIMARY KEY);\nCREATE TABLE IF NOT EXISTS c (p INTEGER REFERENCES p (id));\nINSERT OR IGNORE INTO c (p) VALUES (7);\n')],
    {},
    (r) => assert.match(r[0].message, /FOREIGN KEY constraint failed/),
  ],
  'an unknown function blocks, and says how to declare it': [
    [table, f('002_norm.sql', "INSERT OR IGNORE INTO t (k, v) VALUES ('a', normalize('X'));\n")],
    {},
    (r) => {
      assert.is(r.length, 1);
      assert.match(r[0].message, /no such function: normalize \(if the application registers normalize on its connection, declare it in the config: "replayFunctions": \{"normalize": <argument count>\}\)/);
    },
  ],
  'a stubbed function returns its first argument (or NULL), in a trigger and an index expression too': [
    [
      table,
      f(
        '002_norm.sql',
        [
          "INSERT OR IGNORE INTO t (k, v) VALUES ('a', normalize('X'));",
          "INSERT OR IGNORE INTO t (k, v) VALUES ('b', ulid());",
          "INSERT OR IGNORE INTO t (k, v) VALUES ('c', concat_all('c', 'd', 'e'));",
          'CREATE INDEX IF NOT EXISTS t_norm ON t (normalize(v));',
          "CREATE TRIGGER IF NOT EXISTS t_log AFTER UPDATE ON t BEGIN INSERT INTO log (msg) VALUES (normalize(new.v)); END;",
          "CREATE TABLE IF NOT EXISTS seen AS SELECT k, v FROM t WHERE v IS normalize('X') OR (v IS NULL AND k = 'b') OR v = 'c';",
          // 64-bit integers through a stub and out of a query: no engine trips over 2^53.
          "INSERT OR IGNORE INTO t (k, v) VALUES ('big', normalize(9223372036854775807));",
          "SELECT v, normalize(v) FROM t WHERE k = 'big' AND v = 9223372036854775807;",
          '',
        ].join('\n'),
      ),
    ],
    { functions: [{ name: 'normalize', args: 1 }, { name: 'ulid', args: 0 }, { name: 'concat_all', args: null }] },
    (r) => assert.equal(r, []),
  ],
  // Found by replay-fuzz: SQLite's "unrecognized token" quotes the rest of the file, line breaks and all.
  'an unclosed quoted identifier is quoted on one line, cut short, never the rest of the file': [
    [table, f('002_bad.sql', `INSERT OR IGNORE INTO t (k) VALUES ('a') \`oops;\n${'CREATE TABLE IF NOT EXISTS x (a);\n'.repeat(20)}`)],
    {},
    (r) => {
      const fresh = r.find((x) => /fails on a fresh database/.test(x.message));
      assert.ok(fresh, JSON.stringify(r));
      assert.match(fresh.message, /unrecognized token: "`oops; CREATE TABLE IF NOT EXISTS x \(a\); CREATE/);
      assert.not.match(fresh.message, /\n/);
      assert.ok(fresh.message.length < 300, fresh.message);
    },
  ],
  'a long table name: "already exists" is still ignored at start-up (judged before the message is cut)': [
    [f('001_long.sql', `CREATE TABLE ${'l'.repeat(200)} (a);\n`), f('002_again.sql', `CREATE TABLE ${'l'.repeat(200)} (a);\n`)],
    {},
    (r) => assert.equal(r, []),
  ],
  'a stubbed function called with the wrong argument count fails as SQLite says': [
    [table, f('002_norm.sql', "INSERT OR IGNORE INTO t (k, v) VALUES ('a', normalize('X', 'Y'));\n")],
    { functions: [{ name: 'normalize', args: 1 }] },
    (r) => assert.match(r[0].message, /wrong number of arguments to function normalize\(\)/),
  ],
};

const results = new Map();
for (const engine of engines) {
  test(`${engine}: every replay case gives the expected findings`, async () => {
    const byCase = {};
    for (const [name, [files, options, check]] of Object.entries(CASES)) {
      const started = Date.now();
      const findings = await replay(files, { mode: 'loom', engine, ...options });
      if (options.budget) assert.ok(Date.now() - started < options.budget.runMs + 3000, `${name}: ended within its budget`);
      try {
        check(findings);
      } catch (error) {
        error.message = `${name}: ${error.message}\n${JSON.stringify(findings, null, 2)}`;
        throw error;
      }
      byCase[name] = findings;
    }
    results.set(engine, byCase);
  });

  test(`${engine}: the FTS5 triggers of the corpus run (an insert is searchable) and JSON functions work`, async () => {
    const db = (await loadEngine(engine)).open();
    try {
      for (const file of corpus) for (const s of splitStatements(file.content).statements) db.run(s.sql);
      db.run(`INSERT INTO threads (id, title, conversation) VALUES ('t1', 'hello', json('{"messages":[{"content":"needle here"}]}'))`);
      assert.equal(db.rows(`SELECT thread_id FROM thread_fts WHERE thread_fts MATCH 'needle'`), [{ thread_id: 't1' }]);
      assert.is(db.value(`SELECT json_extract('{"a":[1,2]}', '$.a[1]')`), 2);
    } finally {
      db.close();
    }
  });
}

test(`the engines agree finding for finding (${engines.join(', ')})`, () => {
  assert.ok(engines.includes('sqlite-wasm'), 'the WASM build is always there');
  assert.is(results.size, engines.length);
  const [first, ...rest] = engines;
  for (const other of rest) assert.equal(results.get(other), results.get(first), `${other} against ${first}`);
  // Where the runtime has node:sqlite, it is the default; elsewhere the WASM build is.
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) assert.equal(engines, ['sqlite-wasm']);
});

test('LOOM_GUARD_SQLITE picks an engine; a bad value or a missing node:sqlite is one line, exit 2', async () => {
  assert.is((await loadEngine(undefined, { LOOM_GUARD_SQLITE: 'wasm' })).name, 'sqlite-wasm');
  try {
    await loadEngine(undefined, { LOOM_GUARD_SQLITE: 'sqlite4' });
    assert.unreachable('a bad value must throw');
  } catch (error) {
    assert.is(error.message, 'LOOM_GUARD_SQLITE=sqlite4 is not an engine: use node or wasm, or unset it');
    assert.is(error.exitCode, 2);
  }
  if (!engines.includes('node:sqlite')) {
    try {
      await loadEngine(undefined, { LOOM_GUARD_SQLITE: 'node' });
      assert.unreachable('node:sqlite is not here');
    } catch (error) {
      assert.match(error.message, /has no node:sqlite \(it needs Node >= 22\.13\): unset LOOM_GUARD_SQLITE \(or set it to wasm\)/);
    }
  }
});

// ---- replayFunctions: the config ----------------------------------------------------------------

test('replayFunctions: an object of name to argument count ("any" for any), or an array of names', () => {
  assert.equal(parseConfig({ replayFunctions: { normalize: 1, ulid: 0, concat_all: 'any' } }, 'x').replayFunctions, [
    { name: 'normalize', args: 1 },
    { name: 'ulid', args: 0 },
    { name: 'concat_all', args: null },
  ]);
  assert.equal(parseConfig({ replayFunctions: ['normalize'] }, 'x').replayFunctions, [{ name: 'normalize', args: null }]);
  assert.equal(parseConfig({}, 'x').replayFunctions, []);
});

test('replayFunctions: bad names, counts, duplicates and shapes are named, one line each', () => {
  const problems = (value) => {
    try {
      parseConfig({ replayFunctions: value }, '.loom-guard.json');
    } catch (error) {
      return error.message.split('\n');
    }
    assert.unreachable('must throw');
  };
  assert.equal(problems({ 'bad-name': 1, ok: -1, Ok2: 1.5, fine: 1, FINE: 2 }), [
    '.loom-guard.json: "replayFunctions": "bad-name" is not an SQL function name (letters, digits and _, not starting with a digit)',
    '.loom-guard.json: "replayFunctions": "ok": the argument count must be 0 to 127 or "any", got -1',
    '.loom-guard.json: "replayFunctions": "Ok2": the argument count must be 0 to 127 or "any", got 1.5',
    '.loom-guard.json: "replayFunctions": "FINE" is listed twice',
  ]);
  assert.equal(problems('normalize'), [
    '.loom-guard.json: "replayFunctions" must be an object of SQL function name to argument count (0 to 127, or "any"), e.g. {"normalize": 1}, or an array of names, got "normalize"',
  ]);
  assert.equal(problems([1]), ['.loom-guard.json: "replayFunctions": 1 is not an SQL function name (letters, digits and _, not starting with a digit)']);
});

// ---- replayFunctions: end to end ---------------------------------------------------------------

test('a migration calling an application function: blocked without replayFunctions, passes with it (check and commit)', () => {
  const repo = Repo.init();
  try {
    const config = (extra) => JSON.stringify({ migrations: [DIR], resources: [], ...extra }, null, 2);
    repo.write('.loom-guard.json', config({}));
    repo.write(`${DIR}/001_users.sql`, 'CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL);\n');
    repo.commitNoVerify('initial');
    repo.install();

    repo.write(`${DIR}/002_emails.sql`, "CREATE INDEX IF NOT EXISTS users_email ON users (normalize(email));\nINSERT OR IGNORE INTO users (id, email) VALUES ('admin', normalize('Admin@Example.org'));\n");
    repo.git('add', '-A'); // `migrations check` judges what is staged
    const blocked = repo.lg(['migrations', 'check']);
    assert.is(blocked.code, 1, blocked.out);
    assert.match(blocked.out, /002_emails\.sql:1: .*no such function: normalize .*"replayFunctions": \{"normalize": <argument count>\}/);
    const commitBlocked = repo.commit('emails');
    assert.is(commitBlocked.code, 1, commitBlocked.out);
    assert.match(commitBlocked.out, /no such function: normalize/);
    assert.is(repo.git('rev-list', '--count', 'HEAD').trim(), '1');

    repo.write('.loom-guard.json', config({ replayFunctions: { normalize: 1 } }));
    repo.git('add', '-A');
    const passes = repo.lg(['migrations', 'check']);
    assert.is(passes.code, 0, passes.out);
    assert.match(passes.out, /2 migrations in db\/migrations, replayed twice \(stubbed: normalize\/1\)/);
    const committed = repo.commit('emails, with normalize declared');
    assert.is(committed.code, 0, committed.out);
    assert.match(committed.out, /stubbed: normalize\/1/);
    assert.is(repo.git('rev-list', '--count', 'HEAD').trim(), '2');

    repo.write('.loom-guard.json', config({ replayFunctions: { normalize: 'one' } }));
    const bad = repo.lg(['migrations', 'check']);
    assert.is(bad.code, 2, bad.out);
    assert.is(bad.stderr.trim().split('\n').length, 1, bad.out);
    assert.match(bad.stderr, /\.loom-guard\.json: "replayFunctions": "normalize": the argument count must be 0 to 127 or "any", got "one"/);
  } finally {
    repo.remove();
  }
});

test.run();
