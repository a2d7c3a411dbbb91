// The replay's cases from issue 22 through the real CLI (`migrations check` on what is staged, exit
// codes 0/1, never 2): a sealed ATTACH creates no file, a recursive CTE ends at replayTimeoutMs, an
// FTS5 external-content table with a renamed column is no crash, replayBase, a comment-only
// migration the registry embeds is a warning (an unregistered one blocks), a down without an up
// gets no rename fix line, binary bytes are never echoed. Runs on the engine this Node picks.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, cleanEnv, Repo, ROOT, sh } from './helpers/repo.mjs';

const DIR = 'crates/srv/migrations';
const REGISTRY = 'crates/srv/src/db.rs';
const T = 'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT);\n';

function repoWith(files, config = {}) {
  const repo = Repo.init();
  repo.write('.loom-guard.json', `${JSON.stringify({ resources: [], ...config }, null, 2)}\n`);
  const names = Object.keys(files).filter((p) => p.startsWith(`${DIR}/`));
  repo.write(REGISTRY, `pub const M: &[&str] = &[\n${names.map((p) => `    include_str!("../migrations/${p.slice(DIR.length + 1)}"),\n`).join('')}];\n`);
  repo.writeAll(files);
  repo.git('add', '-A');
  return repo;
}

const check = (repo) => repo.lg(['migrations', 'check']);

test('ATTACH and VACUUM INTO: exit 1 naming file and line, and no file appears outside', () => {
  const outside = mkdtempSync(join(tmpdir(), 'lg-outside-'));
  const repo = repoWith({
    [`${DIR}/001_t.sql`]: T,
    [`${DIR}/002_copy.sql`]: `-- keep a copy\nVACUUM INTO '${join(outside, 'copy.db')}';\nATTACH 'rel.db' AS r;\n`,
  });
  try {
    const r = check(repo);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /002_copy\.sql:2: `VACUUM INTO .*` reaches outside the database: VACUUM INTO writes a database file/);
    assert.match(r.out, /002_copy\.sql:3: `ATTACH 'rel\.db' AS r;` reaches outside the database/);
    assert.match(r.out, /fix: take the statements named above \(ATTACH, DETACH, VACUUM INTO, load_extension\(\), PRAGMA temp_store_directory\) out of the migrations\n/);
    assert.equal(readdirSync(outside), []);
    assert.not.ok(existsSync(join(repo.dir, 'rel.db')));
  } finally {
    repo.remove();
    rmSync(outside, { recursive: true, force: true });
  }
});

test('a recursive CTE without an end: exit 1 at replayTimeoutMs, naming the statement', () => {
  const repo = repoWith(
    { [`${DIR}/001_t.sql`]: T, [`${DIR}/002_forever.sql`]: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c;\n' },
    { replayTimeoutMs: 400 },
  );
  try {
    const r = check(repo);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /002_forever\.sql:1: `WITH RECURSIVE .*` never finished: it ran past its budget of 400 ms/);
  } finally {
    repo.remove();
  }
});

test('FTS5 external content with a renamed column (loom replay): a finding or a pass, never exit 2', () => {
  const repo = repoWith({
    [`${DIR}/001_notes.sql`]: "CREATE TABLE IF NOT EXISTS T (id INTEGER PRIMARY KEY, notes TEXT);\nCREATE VIRTUAL TABLE IF NOT EXISTS T_fts USING fts5(notes, content='T', content_rowid='id');\nINSERT OR IGNORE INTO T (id, notes) VALUES (1, 'x');\n",
    [`${DIR}/002_rename.sql`]: 'ALTER TABLE T RENAME COLUMN notes TO body;\n',
  });
  try {
    const r = check(repo);
    assert.is(r.code, 1, r.out); // the rename fails at the second start: a real finding
    assert.match(r.out, /002_rename\.sql:1: `ALTER TABLE T RENAME COLUMN notes TO body;` fails when the server starts again/);
    assert.not.match(r.out, /internal error/);
  } finally {
    repo.remove();
  }
});

test('replayBase: tables made elsewhere are declared; a missing base file is named', () => {
  const repo = repoWith(
    { 'schema/base.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY);\n', [`${DIR}/001_extra.sql`]: 'CREATE TABLE IF NOT EXISTS extra (u INTEGER REFERENCES users (id));\nCREATE INDEX IF NOT EXISTS extra_u ON extra (u);\nINSERT OR IGNORE INTO users (id) VALUES (1);\n' },
    { replayBase: ['schema/base.sql'] },
  );
  try {
    assert.is(check(repo).code, 0, check(repo).out);
    repo.write('.loom-guard.json', JSON.stringify({ resources: [], replayBase: ['schema/nope.sql'] }));
    const r = check(repo);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /schema\/nope\.sql: is listed in the config's "replayBase" but does not exist/);
  } finally {
    repo.remove();
  }
});

test('a comment-only migration: a warning when the registry embeds it, a block when it does not', () => {
  const repo = repoWith({ [`${DIR}/001_t.sql`]: T, [`${DIR}/002_withdrawn.sql`]: '-- withdrawn: kept so the numbering holds\n' });
  try {
    const r = check(repo);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /002_withdrawn\.sql: warning: file holds only comments, no SQL statement: crates\/srv\/src\/db\.rs:3 embeds it/);
    repo.write(`${DIR}/003_empty.sql`, '-- nothing yet\n');
    repo.git('add', '-A');
    const blocked = check(repo);
    assert.is(blocked.code, 1, blocked.out);
    assert.match(blocked.out, /003_empty\.sql: file holds only comments, no SQL statement: write the migration or remove the file/);
  } finally {
    repo.remove();
  }
});

test('sqlx: a down without an up gets no rename fix line', () => {
  const repo = repoWith(
    { [`${DIR}/20240101000000_a.up.sql`]: T, [`${DIR}/20240101000000_a.down.sql`]: 'DROP TABLE t;\n', [`${DIR}/20240301000000_x.down.sql`]: 'DROP TABLE t;\n' },
    { naming: 'sqlx' },
  );
  try {
    const r = check(repo);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /20240301000000_x\.down\.sql: is a down migration without an up/);
    assert.match(r.out, /add the up migration of each down file named above, or remove the down file/);
    assert.not.match(r.out, /<version>_<description>|git mv|rename/);
  } finally {
    repo.remove();
  }
});

test('a binary migration: a finding without its bytes', () => {
  const repo = repoWith({ [`${DIR}/001_t.sql`]: T, [`${DIR}/002_blob.sql`]: Buffer.from([0x53, 0x45, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xff, 0xfe, 0x07, 0x3b, 0x0a]) });
  try {
    const r = check(repo);
    assert.is(r.code, 1, r.out);
    assert.match(r.out, /002_blob\.sql: holds binary data/);
    assert.not.match(r.out, /[\u0000\u0007\u001b\ufffd]/);
  } finally {
    repo.remove();
  }
});

test('a replayed set is cached by content: the same set again loads no SQLite; an edit replays', () => {
  const repo = repoWith({ [`${DIR}/001_t.sql`]: T, [`${DIR}/002_seed.sql`]: "INSERT OR IGNORE INTO t (k) VALUES ('a');\n" });
  repo.install();
  repo.git('add', '-A');
  const log = join(repo.dir, '..', `trace-${process.pid}.log`);
  const traced = () => {
    rmSync(log, { force: true });
    const r = sh(process.execPath, ['--import', join(ROOT, 'test/helpers/trace-imports.mjs'), CLI, 'migrations', 'check'], { cwd: repo.dir, env: cleanEnv({ LOOM_GUARD_TRACE_IMPORTS: log, LOOM_GUARD_SQLITE: 'wasm' }) });
    return { r, wasm: readFileSync(log, 'utf8').includes('@sqlite.org/sqlite-wasm') };
  };
  try {
    const first = traced();
    assert.is(first.r.code, 0, first.r.out);
    assert.ok(first.wasm, 'the first check replays on the WASM build');
    const cacheDir = join(repo.dir, '.git/loom-guard/replay-cache');
    const entries = readdirSync(cacheDir).filter((n) => n.endsWith('.json'));
    assert.is(entries.length, 1);
    const second = traced();
    assert.is(second.r.code, 0, second.r.out);
    assert.not.ok(second.wasm, 'the same set again does not start the WASM build');
    // The verdict really comes from the cache: a planted finding is what the next run reports.
    writeFileSync(join(cacheDir, entries[0]), JSON.stringify([{ rule: 'replay', file: `${DIR}/002_seed.sql`, line: 1, severity: 'error', message: 'planted verdict' }]));
    const planted = repo.commit('seed', { env: { LOOM_GUARD_SQLITE: 'wasm' } }); // the engine the verdict was cached for
    assert.is(planted.code, 1, planted.out);
    assert.match(planted.out, /002_seed\.sql:1: planted verdict/);
    // An edit is another set: replayed, and the real verdict (a pass) is what counts.
    repo.write(`${DIR}/002_seed.sql`, "INSERT OR IGNORE INTO t (k) VALUES ('b');\n");
    repo.git('add', '-A');
    const edited = traced();
    assert.is(edited.r.code, 0, edited.r.out);
    assert.ok(edited.wasm);
  } finally {
    rmSync(log, { force: true });
    repo.remove();
  }
});

test.run();
