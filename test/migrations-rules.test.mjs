// The pure migration rules: names, protected ref, registration, statement splitting, replay on SQLite.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CORPUS, ROOT } from './helpers/repo.mjs';

const dist = (m) => import(join(ROOT, 'dist/migrations', m));
const { checkNames, slugify, parseMigrationName } = await dist('names.js');
const { checkProtected } = await dist('protected.js');
const { parseRegistrations, checkRegistry, pickRegistry, includeLiteral } = await dist('registry.js');
const { splitStatements } = await dist('split.js');
const { replay } = await dist('replay.js');
const { loadEngine } = await import(join(ROOT, 'dist/sqlite/engine.js'));

const DIR = 'crates/loom-server/migrations';
const f = (name, content = 'CREATE TABLE IF NOT EXISTS t (a TEXT);\n') => ({ path: `${DIR}/${name}`, content });
// The corpus set when ../shared is there; this repository's embedded set (the same ten files) otherwise.
const corpusDir = [join(CORPUS, 'loom-migrations'), join(ROOT, 'migrations')].find((d) => existsSync(d));
const corpus = readdirSync(corpusDir)
  .sort()
  .map((name) => f(name, readFileSync(join(corpusDir, name), 'utf8')));
const errorsOf = (findings) => findings.filter((x) => x.severity === 'error');

// ---- names -------------------------------------------------------------------------------------

test('names: the corpus folder is well named, numbered 001..010 without gaps', () => {
  const r = checkNames(corpus);
  assert.equal(r.findings, []);
  assert.is(r.migrations.length, 10);
  assert.is(r.width, 3);
});

test('names: README and other non-migration files are ignored on purpose', () => {
  const r = checkNames([f('001_a.sql'), f('README.md', '# notes'), f('.gitkeep', ''), f('notes.txt', 'x')]);
  assert.equal(r.findings, []);
});

test('names: .SQL, 007-x.sql, Upper_Case and 7_x.sql are each reported by file', () => {
  const files = [f('001_a.sql'), f('002_b.sql'), f('003_c.SQL'), f('004-d.sql'), f('005_Add_E.sql'), f('6_f.sql')];
  const r = checkNames(files);
  const byFile = (n) => r.findings.filter((x) => x.file === `${DIR}/${n}`).map((x) => x.message);
  assert.match(byFile('003_c.SQL')[0], /does not match NNN_snake_case\.sql \(rename it to 003_c\.sql\)/);
  assert.match(byFile('004-d.sql')[0], /rename it to 004_d\.sql/);
  assert.match(byFile('005_Add_E.sql')[0], /rename it to 005_add_e\.sql/);
  assert.match(byFile('6_f.sql')[0], /not 3 digits wide .*006_f\.sql/);
});

test('names: a duplicate number, a gap and an empty or comment-only file are reported', () => {
  const r = checkNames([f('001_a.sql'), f('002_b.sql'), f('002_c.sql'), f('004_d.sql'), f('005_e.sql', '  \n'), f('006_f.sql', '-- todo\n')]);
  const text = r.findings.map((x) => `${x.file}: ${x.message}`).join('\n');
  assert.match(text, /002_c\.sql: number 002 is used twice \(also 002_b\.sql\)/);
  assert.match(text, /004_d\.sql: numbering has a gap: no 003 between 002_b\.sql and 004_d\.sql/);
  assert.match(text, /005_e\.sql: file is empty/);
  assert.match(text, /006_f\.sql: file holds only comments/);
});

test('names: of two files sharing a number, the one the change brings is blamed', () => {
  const files = [f('001_a.sql'), f('002_new.sql'), f('002_old.sql')];
  const r = checkNames(files, (path) => path.endsWith('002_new.sql'));
  const dup = r.findings.filter((x) => /used twice/.test(x.message));
  assert.is(dup.length, 1);
  assert.is(dup[0].file, `${DIR}/002_new.sql`);
  assert.match(dup[0].message, /also 002_old\.sql/);
});

test('names: slugs', () => {
  assert.is(slugify('Add Clips Table'), 'add_clips_table');
  assert.is(slugify('  add-clips: table!! '), 'add_clips_table');
  assert.is(slugify('addClipsTable'), 'add_clips_table');
  assert.is(slugify('!!!'), '');
  assert.is(parseMigrationName('x/010_api_keys.sql').number, 10n);
  assert.is(parseMigrationName('x/010_api-keys.sql'), null);
});

// ---- protected ref -----------------------------------------------------------------------------

const mig = (name) => parseMigrationName(`${DIR}/${name}`);
const base = { ref: 'origin/trunk', width: 3, allowEdits: false, targetContent: new Map(), changes: [] };
const onTrunk = [f('001_a.sql'), f('002_b.sql'), f('003_c.sql')];

test('protected: a new file numbered at or below the protected ref is blocked, naming both files', () => {
  const findings = checkProtected({ ...base, protectedFiles: onTrunk, target: ['001_a.sql', '002_b.sql', '003_mine.sql'].map(mig) });
  assert.is(findings.length, 1);
  assert.is(findings[0].file, `${DIR}/003_mine.sql`);
  assert.match(findings[0].message, /origin\/trunk already has 003_c\.sql: renumber it above, e\.g\. git mv .*003_mine\.sql .*004_mine\.sql/);
  const ok = checkProtected({ ...base, protectedFiles: onTrunk, target: ['001_a.sql', '002_b.sql', '003_c.sql', '004_mine.sql'].map(mig) });
  assert.equal(ok, []);
});

test('protected: editing, renaming or deleting a migration on the ref is blocked; allowEdits lets it be', () => {
  const changes = [
    { status: 'M', path: `${DIR}/001_a.sql` },
    { status: 'R', oldPath: `${DIR}/002_b.sql`, path: `${DIR}/002_bee.sql` },
    { status: 'D', path: `${DIR}/003_c.sql` },
    { status: 'M', path: `${DIR}/README.md` },
  ];
  const input = { ...base, changes, protectedFiles: [...onTrunk, f('README.md', 'x')], target: [mig('001_a.sql'), mig('002_bee.sql')], targetContent: new Map([[`${DIR}/001_a.sql`, 'CREATE TABLE x (a);']]) };
  const findings = checkProtected(input);
  const text = findings.map((x) => `${x.file}: ${x.message}`).join('\n');
  assert.match(text, /001_a\.sql: is edited, but it is on origin\/trunk/);
  assert.match(text, /002_b\.sql: is renamed to 002_bee\.sql/);
  assert.match(text, /003_c\.sql: is deleted, but it is on origin\/trunk/);
  assert.not.match(text, /README/);
  assert.is(findings.length, 3, 'the renamed file is not reported again as a new one');
  assert.equal(checkProtected({ ...input, allowEdits: true }), []);
});

test('protected: a file of the same name added on both sides, with different content, is blocked', () => {
  const mine = f('004_clips.sql', 'CREATE TABLE IF NOT EXISTS clips (id TEXT);\n');
  const theirs = f('004_clips.sql', 'CREATE TABLE IF NOT EXISTS clips (id INTEGER, url TEXT);\n');
  const input = { ...base, protectedFiles: [...onTrunk, theirs], target: ['001_a.sql', '002_b.sql', '003_c.sql', '004_clips.sql'].map(mig), changes: [{ status: 'A', path: mine.path }] };
  const findings = checkProtected({ ...input, targetContent: new Map([[mine.path, mine.content]]) });
  assert.is(findings.length, 1);
  assert.match(findings[0].message, /is new here, but origin\/trunk already has a different file of that name/);
  assert.equal(checkProtected({ ...input, targetContent: new Map([[mine.path, theirs.content]]) }), [], 'the same file on both sides is fine');
});

test('protected: a migration only on this branch may be edited; an edit back to the ref content passes', () => {
  const local = checkProtected({ ...base, protectedFiles: onTrunk, target: [...onTrunk.map((x) => mig(x.path.split('/').pop())), mig('004_local.sql')], changes: [{ status: 'M', path: `${DIR}/004_local.sql` }] });
  assert.equal(local, []);
  const back = checkProtected({ ...base, protectedFiles: onTrunk, target: [mig('001_a.sql')], changes: [{ status: 'M', path: `${DIR}/001_a.sql` }], targetContent: new Map([[`${DIR}/001_a.sql`, onTrunk[0].content]]) });
  assert.equal(back, []);
});

// ---- registry ----------------------------------------------------------------------------------

const REG = 'crates/loom-server/src/db/mod.rs';
const rs = (lines) => `pub fn run() {\n${lines.map((l) => `    ${l}\n`).join('')}}\n`;
const inc = (n) => `let m = include_str!("../../migrations/${n}");`;

test('registry: include_str! paths resolve from the registry file; commented lines do not count', () => {
  const regs = parseRegistrations(REG, rs([inc('001_a.sql'), `// ${inc('002_b.sql')}`, 'let t = include_str!("../templates/x.html");']));
  assert.equal(regs.map((r) => [r.line, r.path]), [[2, `${DIR}/001_a.sql`], [4, 'crates/loom-server/src/templates/x.html']]);
  assert.is(includeLiteral(REG, `${DIR}/011_x.sql`), '../../migrations/011_x.sql');
});

test('registry: missing, twice, out of order and nonexistent registrations are each reported', () => {
  const migrations = ['001_a.sql', '002_b.sql', '003_c.sql', '004_d.sql'].map(mig);
  const regs = parseRegistrations(REG, rs([inc('001_a.sql'), inc('003_c.sql'), inc('002_b.sql'), inc('002_b.sql'), inc('009_gone.sql')]));
  const findings = checkRegistry({ registryPath: REG, registrations: regs, migrations, existing: new Set(migrations.map((m) => m.path)) });
  const text = findings.map((x) => `${x.file}${x.line ? `:${x.line}` : ''}: ${x.message}`).join('\n');
  assert.match(text, /mod\.rs:4: 002_b\.sql is registered after 003_c\.sql/);
  assert.match(text, /mod\.rs:5: 002_b\.sql is registered twice \(also line 4\)/);
  assert.match(text, /mod\.rs:6: include_str!\("\.\.\/\.\.\/migrations\/009_gone\.sql"\) names .*009_gone\.sql, which does not exist/);
  assert.match(text, /004_d\.sql: is not registered in crates\/loom-server\/src\/db\/mod\.rs, so it never runs: add include_str!\("\.\.\/\.\.\/migrations\/004_d\.sql"\)/);
  const good = parseRegistrations(REG, rs(migrations.map((m) => inc(m.name))));
  assert.equal(checkRegistry({ registryPath: REG, registrations: good, migrations, existing: new Set(migrations.map((m) => m.path)) }), []);
});

test('registry: found by content under the crate; none means the rule is off', () => {
  const candidates = [
    { path: 'crates/loom-server/src/lib.rs', content: 'pub mod db;' },
    { path: REG, content: rs([inc('001_a.sql')]) },
  ];
  assert.is(pickRegistry(DIR, candidates).path, REG);
  assert.is(pickRegistry(DIR, candidates.slice(0, 1)), null);
});

// ---- splitting ---------------------------------------------------------------------------------

test('split: 005_thread_fts.sql is one FTS5 table and three whole triggers, though a plain split on ; cuts them', () => {
  // The statement model (src/migrations/split.ts): the server's start-up ends a statement at `;`
  // outside string literals, comments and trigger BEGIN…END bodies, the way SQLite does; Loom's
  // runner keeps 005's triggers whole by hand, and the corpus is documented as safe at every start.
  // So 005 replays cleanly; the cuts a plain split would make are still listed (for a warning on
  // files new in a change), not blocked.
  const file = corpus.find((x) => x.path.endsWith('005_thread_fts.sql'));
  const r = splitStatements(file.content);
  assert.equal(r.statements.map((s) => s.firstLine), [
    'CREATE VIRTUAL TABLE IF NOT EXISTS thread_fts USING fts5(',
    'CREATE TRIGGER IF NOT EXISTS thread_fts_insert',
    'CREATE TRIGGER IF NOT EXISTS thread_fts_update',
    'CREATE TRIGGER IF NOT EXISTS thread_fts_delete',
  ]);
  assert.equal(r.statements.map((s) => s.triggerBody), [false, true, true, true]);
  assert.is(r.naiveCuts.length, 4);
  assert.ok(r.naiveCuts.every((c) => c.inside === 'trigger body'));
  assert.is(file.content.split(';').filter((s) => s.trim()).length, 8, 'a plain split makes 8 pieces of 4 statements');
});

test('split: ; in strings, quoted names and comments does not end a statement; CASE…END inside a trigger neither', () => {
  const sql = `-- seed; then index
INSERT OR IGNORE INTO t VALUES ('a;b', "c;d");
/* a; block */ CREATE TRIGGER tr AFTER INSERT ON t BEGIN
  UPDATE t SET x = CASE WHEN new.a = 'x' THEN 1 ELSE 2 END;
  DELETE FROM u;
END;
BEGIN TRANSACTION;
COMMIT`;
  const r = splitStatements(sql);
  assert.equal(r.statements.map((s) => [s.line, s.firstLine]), [
    [2, `INSERT OR IGNORE INTO t VALUES ('a;b', "c;d");`.slice(0, -1) + ';'],
    [3, 'CREATE TRIGGER tr AFTER INSERT ON t BEGIN'],
    [7, 'BEGIN TRANSACTION;'],
    [8, 'COMMIT'],
  ]);
  assert.equal(r.naiveCuts.map((c) => c.inside), ['comment', 'string literal', 'quoted identifier', 'comment', 'trigger body', 'trigger body']);
  assert.is(r.unterminated, null);
  assert.match(splitStatements("INSERT INTO t VALUES ('oops);\nSELECT 1;").unterminated.what, /string literal is never closed/);
  assert.match(splitStatements('CREATE TRIGGER x AFTER INSERT ON t BEGIN DELETE FROM t;').unterminated.what, /never reaches `END;`/);
});

// ---- replay ------------------------------------------------------------------------------------

test('replay: the ten corpus migrations (FTS5 triggers, JSON, ADD COLUMN, INSERT OR IGNORE) replay cleanly', async () => {
  const findings = await replay(corpus, { mode: 'loom' });
  assert.equal(findings, []);
  // Named as changed, 005 gets the plain-split warning, and nothing blocks.
  const changed = await replay(corpus, { mode: 'loom', changed: new Set([`${DIR}/005_thread_fts.sql`]) });
  assert.equal(errorsOf(changed), []);
  assert.is(changed.length, 1);
  assert.match(changed[0].message, /a plain split on `;` would cut statements at line 22 \(trigger body\)/);
});

test('replay: the FTS5 triggers of 005 really run (a thread insert is searchable)', async () => {
  const db = (await loadEngine()).open();
  for (const file of corpus) for (const s of splitStatements(file.content).statements) db.run(s.sql);
  db.run(`INSERT INTO threads (id, title, conversation) VALUES ('t1', 'hello', json('{"messages":[{"content":"needle here"}]}'))`);
  assert.equal(db.rows(`SELECT thread_id FROM thread_fts WHERE thread_fts MATCH 'needle'`), [{ thread_id: 't1' }]);
  db.close();
});

test('replay: INSERT without OR IGNORE is blocked (duplicate rows, or a failing second start); INSERT OR IGNORE passes', async () => {
  const table = f('001_flags.sql', 'CREATE TABLE IF NOT EXISTS flags (key TEXT PRIMARY KEY, on_ INTEGER);\nCREATE TABLE IF NOT EXISTS log (msg TEXT);\n');
  const dup = await replay([table, f('002_seed.sql', "-- seed\nINSERT INTO log (msg) VALUES ('hello');\n")], { mode: 'loom' });
  assert.is(dup.length, 1);
  assert.is(dup[0].file, `${DIR}/002_seed.sql`);
  assert.is(dup[0].line, 2);
  assert.match(dup[0].message, /`INSERT INTO log \(msg\) VALUES \('hello'\);` is not safe to replay: run again at the next start-up, it takes table log from 1 to 2 rows/);
  const unique = await replay([table, f('002_seed.sql', "INSERT INTO flags (key) VALUES ('a');\n")], { mode: 'loom' });
  assert.is(unique.length, 1);
  assert.match(unique[0].message, /fails when the server starts again: UNIQUE constraint failed: flags\.key/);
  assert.equal(await replay([table, f('002_seed.sql', "INSERT OR IGNORE INTO flags (key) VALUES ('a');\n")], { mode: 'loom' }), []);
  assert.equal(await replay([table, f('002_seed.sql', "INSERT INTO log (msg) VALUES ('hello');\n")], { mode: 'once' }), [], 'mode once applies each file once');
});

test('replay: a syntax error names the file, the line, the statement and SQLite\'s message', async () => {
  const findings = await replay([f('001_a.sql'), f('002_bad.sql', 'CREATE TABLE IF NOT EXISTS ok (a);\n\nCREAT TABLE nope (a);\n'), f('003_c.sql')], { mode: 'loom' });
  assert.is(findings.length, 1);
  assert.is(findings[0].file, `${DIR}/002_bad.sql`);
  assert.is(findings[0].line, 3);
  assert.match(findings[0].message, /`CREAT TABLE nope \(a\);` fails on a fresh database: near "CREAT": syntax error/);
});

test('replay: "already exists" and "duplicate column" are ignored as at Loom start-up; other second-run errors are not', async () => {
  const plain = [f('001_a.sql', 'CREATE TABLE t (a TEXT);\nCREATE INDEX i ON t (a);\n'), f('002_b.sql', 'ALTER TABLE t ADD COLUMN b TEXT;\n')];
  assert.equal(await replay(plain, { mode: 'loom' }), []);
  const rename = await replay([...plain, f('003_c.sql', 'ALTER TABLE t RENAME TO t_old;\n')], { mode: 'loom' });
  assert.is(rename.length, 1, '001 creates t again at the next start, and the rename then fails');
  assert.is(rename[0].file, `${DIR}/003_c.sql`);
  assert.match(rename[0].message, /`ALTER TABLE t RENAME TO t_old;` fails when the server starts again: there is already another table or index with this name: t_old/);
  const once = await replay([f('001_a.sql', 'CREATE TABLE t (a);\n'), f('002_b.sql', 'CREATE TABLE t (a);\n')], { mode: 'once' });
  assert.match(once[0].message, /table t already exists/, 'mode once ignores nothing');
});

test.run();
