// The naming schemes through the real CLI and the installed pre-commit hook, on generated folders
// in real git repositories with a bare remote as the protected ref: sqlx (timestamps, up/down pairs,
// applied once, downs never replayed) and refinery (V/U), plus the scheme hint when the config names
// the wrong scheme, and include_str! registration under sqlx.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Repo, sh, tempDir } from './helpers/repo.mjs';

const DIR = 'db/migrations';

/** A repository with hooks, a config, the given migrations committed and pushed to origin/trunk. */
function schemeRepo(config, files) {
  const repo = Repo.init({ branch: 'trunk' });
  repo.install();
  repo.write('.loom-guard.json', `${JSON.stringify({ migrations: [DIR], ...config }, null, 2)}\n`);
  for (const [name, sql] of Object.entries(files)) repo.write(`${DIR}/${name}`, sql);
  const remote = tempDir('loom-guard-remote-');
  sh('git', ['init', '-q', '--bare', '-b', 'trunk', remote]);
  repo.git('remote', 'add', 'origin', remote);
  const first = repo.commit('migrations');
  repo.git('push', '-q', '--no-verify', 'origin', 'trunk');
  repo.git('fetch', '-q', 'origin');
  return { repo, remote, first };
}

const reset = (repo) => {
  repo.git('reset', '-q', '--hard', 'HEAD');
  repo.git('clean', '-qfd');
};
const blocked = (r, pattern) => {
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖ +migrations/);
  assert.match(r.out, pattern);
};

// The down file drops the table its up creates: were downs replayed (they sort before their up),
// the first start-up would fail on "no such table". The seed is a plain INSERT, fine for a tool
// that runs each migration once.
const SQLX = {
  '20240101120000_create_users.up.sql': 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n',
  '20240101120000_create_users.down.sql': 'DROP TABLE users;\n',
  '20240305093000_seed admin.sql': "INSERT INTO users (name) VALUES ('admin');\n",
};

const sqlx = schemeRepo({ naming: 'sqlx' }, SQLX);

test('sqlx: the folder passes the commit and migrations check; downs are never replayed; seeds run once', () => {
  assert.is(sqlx.first.code, 0, sqlx.first.out);
  const r = sqlx.repo.lg(['migrations', 'check']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +migrations +2 migrations in db\/migrations \(sqlx naming\), applied once/);
});

test('sqlx: editing a pushed migration is blocked with the restore command; a down without an up too', () => {
  const { repo } = sqlx;
  repo.write(`${DIR}/20240101120000_create_users.up.sql`, 'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);\n');
  blocked(repo.commit('edit a pushed migration'), /20240101120000_create_users\.up\.sql: is edited, but it is on origin\/trunk and servers will not run it again: restore it \(git checkout origin\/trunk -- db\/migrations\/20240101120000_create_users\.up\.sql\)/);
  reset(repo);
  repo.write(`${DIR}/20240401000000_drop_admin.down.sql`, "DELETE FROM users WHERE name = 'admin';\n");
  blocked(repo.commit('a lone down'), /20240401000000_drop_admin\.down\.sql: is a down migration without an up/);
  reset(repo);
});

test('sqlx: a new migration numbered below the ref is told a valid sqlx name above it', () => {
  const { repo } = sqlx;
  repo.write(`${DIR}/20240201000000_mid.sql`, 'CREATE TABLE mid (id INTEGER);\n');
  const r = repo.commit('below the ref');
  blocked(r, /is new but numbered 20240201000000, and origin\/trunk already has migrations up to 20240305093000_seed admin\.sql: renumber it above, e\.g\. git mv db\/migrations\/20240201000000_mid\.sql db\/migrations\/20240305093001_mid\.sql/);
  reset(repo);
});

test('sqlx: migrations new names the file with a UTC timestamp above the folder; filled in, it commits', () => {
  const { repo } = sqlx;
  const r = repo.lg(['migrations', 'new', 'Add Tags']);
  assert.is(r.code, 0, r.out);
  const created = readdirSync(join(repo.dir, DIR)).filter((n) => !Object.hasOwn(SQLX, n));
  assert.is(created.length, 1, created.join(', '));
  assert.match(created[0], /^\d{14}_add_tags\.sql$/);
  assert.ok(BigInt(created[0].slice(0, 14)) > 20240305093000n);
  assert.match(r.stdout, /sqlx::migrate!\(\) picks it up/);
  blocked(repo.commit('header only'), /holds only comments/);
  repo.write(`${DIR}/${created[0]}`, 'CREATE TABLE tags (name TEXT);\n');
  const ok = repo.commit('tags');
  assert.is(ok.code, 0, ok.out);
});

test('the default (loom) config on a folder of sqlx files: blocked, and the fix and doctor name the sqlx scheme', () => {
  const { repo } = sqlx;
  repo.write('.loom-guard.json', `${JSON.stringify({ migrations: [DIR] })}\n`);
  repo.git('add', '-A');
  const r = repo.lg(['migrations', 'check']);
  blocked(r, /fix: the files in db\/migrations follow sqlx naming, not loom: set "naming": "sqlx" in \.loom-guard\.json/);
  assert.not.match(r.out, /_up\.sql|rename the files as shown/);
  const doctor = JSON.parse(repo.lg(['doctor', '--json']).stdout);
  const finding = doctor.findings.find((f) => f.id === 'migrations');
  assert.is(finding.status, 'error');
  assert.match(finding.fix, /set "naming": "sqlx"/);
  reset(repo);
});

test('sqlx: include_str! registration still holds: every applied file once, in order; downs need not be registered', () => {
  const repo = Repo.init({ branch: 'trunk' });
  const folder = 'crates/app/migrations';
  repo.write('.loom-guard.json', `${JSON.stringify({ naming: 'sqlx', migrations: [folder] })}\n`);
  for (const [name, sql] of Object.entries(SQLX)) repo.write(`${folder}/${name}`, sql);
  const reg = (names) => `pub const MIGRATIONS: &[&str] = &[\n${names.map((n) => `    include_str!("../migrations/${n}"),\n`).join('')}];\n`;
  repo.write('crates/app/src/db.rs', reg(['20240101120000_create_users.up.sql', '20240305093000_seed admin.sql']));
  repo.git('add', '-A');
  const ok = repo.lg(['migrations', 'check']);
  assert.is(ok.code, 0, ok.out);
  repo.write('crates/app/src/db.rs', reg(['20240101120000_create_users.up.sql']));
  repo.git('add', '-A');
  blocked(repo.lg(['migrations', 'check']), /20240305093000_seed admin\.sql: is not registered in crates\/app\/src\/db\.rs, so it never runs/);
  repo.remove();
});

test('refinery: V and U files pass (U applied, not an undo); an edit of a pushed V file and a duplicate version are blocked', () => {
  const { repo } = schemeRepo(
    { naming: 'refinery' },
    {
      'V1__initial.sql': 'CREATE TABLE persons (id INTEGER, name TEXT);\n',
      'V2__add_cars.sql': 'CREATE TABLE cars (id INTEGER, person INTEGER);\n',
      'U3__backfill.sql': "INSERT INTO persons (id, name) VALUES (1, 'x');\n",
      'V5__add_brand.sql': 'ALTER TABLE cars ADD COLUMN brand TEXT;\n',
    },
  );
  const check = repo.lg(['migrations', 'check']);
  assert.is(check.code, 0, check.out);
  assert.match(check.out, /4 migrations in db\/migrations \(refinery naming\), applied once/);
  repo.write(`${DIR}/V2__add_cars.sql`, 'CREATE TABLE cars (id INTEGER);\n');
  blocked(repo.commit('edit V2'), /V2__add_cars\.sql: is edited, but it is on origin\/trunk/);
  reset(repo);
  repo.write(`${DIR}/V5__other.sql`, 'CREATE TABLE other (id INTEGER);\n');
  blocked(repo.commit('a second V5'), /V5__other\.sql: number 5 is used twice \(also V5__add_brand\.sql\): give it the next free number \(rename it to V6__other\.sql\)/);
  reset(repo);
  const n = repo.lg(['migrations', 'new', 'add wheels']);
  assert.is(n.code, 0, n.out);
  assert.ok(repo.exists(`${DIR}/V6__add_wheels.sql`), n.out);
  repo.remove();
});

test('loom: 0000.sql is told why, with no made-up name, and the fix never says "as shown"', () => {
  const repo = Repo.init({ branch: 'trunk' });
  repo.write('.loom-guard.json', `${JSON.stringify({ migrations: [DIR] })}\n`);
  repo.write(`${DIR}/0000.sql`, 'CREATE TABLE IF NOT EXISTS a (x);\n');
  repo.write(`${DIR}/0001_b.sql`, 'CREATE TABLE IF NOT EXISTS b (x);\n');
  repo.write(`${DIR}/0002_c.sql`, 'CREATE TABLE IF NOT EXISTS c (x);\n');
  repo.git('add', '-A');
  const r = repo.lg(['migrations', 'check']);
  blocked(r, /0000\.sql: name does not match NNN_snake_case\.sql, and it has no description after the number/);
  assert.match(r.out, /fix: name the files as NNN_snake_case\.sql \(git mv\)/);
  assert.not.match(r.out, /as shown|000_sql|0000_sql/);
  repo.write(`${DIR}/2_d.sql`, 'CREATE TABLE IF NOT EXISTS d (x);\n');
  repo.git('rm', '-q', '--cached', `${DIR}/0000.sql`);
  repo.write(`${DIR}/0000.sql`, '');
  repo.git('add', `${DIR}/2_d.sql`);
  const shown = repo.lg(['migrations', 'check']);
  // 0002 is taken: one finding, one free name, never the duplicate 0002_d.sql.
  blocked(shown, /2_d\.sql: number 2 is not 4 digits wide like the rest of the folder, and 0002 is 0002_c\.sql: renumber it \(rename it to 0003_d\.sql\)/);
  assert.is(shown.out.split('\n').filter((l) => l.includes('2_d.sql:')).length, 1, shown.out);
  assert.not.match(shown.out, /0002_d\.sql/);
  assert.match(shown.out, /fix: rename the files as shown \(git mv\)/);
  repo.remove();
});

test.after(() => sqlx.repo.remove());
test.run();
