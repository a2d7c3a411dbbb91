// The migrations check through real `git commit` (the installed pre-commit hook), `migrations check`
// and `migrations new`, in a generated Loom-shaped workspace with a bare remote and a teammate's clone.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { embeddedMigrations, scaffold, workspaceRepo } from './helpers/workspace.mjs';

const { computeStamp, writeStamp } = await import(join(ROOT, 'dist/nix/stamp.js'));

const DIR = 'crates/loom-server/migrations';
const REG = 'crates/loom-server/src/db/mod.rs';

// 001..005 of the embedded set (005 is the FTS5 table with triggers), so the teammate's is 006.
const all = await embeddedMigrations();
const first5 = Object.fromEntries(Object.entries(all).filter(([name]) => Number(name.slice(0, 3)) <= 5));
const { repo } = await workspaceRepo({ crates: 3, migrations: first5 });
repo.git('branch', '-m', 'trunk');
const remote = tempDir('loom-guard-remote-');
sh('git', ['init', '-q', '--bare', '-b', 'trunk', remote]);
repo.git('remote', 'add', 'origin', remote);
repo.git('push', '-q', '--no-verify', 'origin', 'trunk');
repo.git('fetch', '-q', 'origin');

const sqlFiles = (r) => readdirSync(join(r.dir, DIR)).filter((n) => n.endsWith('.sql')).sort();

/** The nix-sync rule (built alongside) wants Cargo.nix to carry the stamp of the migrations. */
function restamp(r) {
  const files = sqlFiles(r).map((n) => ({ path: `${DIR}/${n}`, content: readFileSync(join(r.dir, DIR, n)) }));
  const others = readdirSync(join(r.dir, DIR)).filter((n) => !n.endsWith('.sql'));
  for (const n of others) files.push({ path: `${DIR}/${n}`, content: readFileSync(join(r.dir, DIR, n)) });
  r.write('Cargo.nix', writeStamp(r.read('Cargo.nix'), computeStamp(files)));
}

/** Registers every .sql file of the folder in mod.rs, in order, the way the scaffold writes it. */
function register(r, names = sqlFiles(r)) {
  r.write(REG, scaffold.registryRs(names));
}

/** Writes a migration (registered and stamped unless told otherwise) and commits through the hooks. */
function commitMigration(name, sql, { registered = true, env } = {}) {
  repo.write(`${DIR}/${name}`, sql);
  if (registered) register(repo);
  restamp(repo);
  return repo.commit(`migration ${name}`, { env });
}

/** Throws away whatever the last (blocked) attempt left. */
function reset() {
  repo.git('reset', '-q', '--hard', 'HEAD');
  repo.git('clean', '-q', '-fd');
}

const blocked = (r, file, pattern) => {
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖ +migrations/);
  assert.ok(r.out.includes(file), `names ${file}:\n${r.out}`);
  if (pattern) assert.match(r.out, pattern);
};
const passed = (r) => {
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /✔ +migrations/);
};

test('a teammate\'s pushed 006 blocks our own new 006 once we fetch', () => {
  const mate = new Repo(tempDir('loom-guard-mate-'));
  sh('git', ['clone', '-q', remote, mate.dir]);
  mate.write(`${DIR}/006_teammate_flags.sql`, 'CREATE TABLE IF NOT EXISTS team_flags (key TEXT PRIMARY KEY);\n');
  register(mate);
  restamp(mate);
  mate.commitNoVerify('teammate: 006');
  mate.git('push', '-q', '--no-verify', 'origin', 'trunk');

  repo.write(`${DIR}/006_clips.sql`, 'CREATE TABLE IF NOT EXISTS clips (id TEXT PRIMARY KEY);\n');
  register(repo);
  restamp(repo);
  repo.git('add', '-A');
  passed(repo.lg(['migrations', 'check'])); // before the fetch nobody knows
  repo.git('fetch', '-q', 'origin');
  const check = repo.lg(['migrations', 'check']);
  blocked(check, `${DIR}/006_clips.sql`, /is new but numbered 006, and origin\/trunk already has 006_teammate_flags\.sql: renumber it above/);
  blocked(repo.commit('our 006'), `${DIR}/006_clips.sql`, /origin\/trunk already has 006_teammate_flags\.sql/);
  reset();
  repo.git('merge', '-q', '--ff-only', 'origin/trunk');
  mate.remove();
});

test('migrations new numbers above the folder and the protected ref, and says what to do next', () => {
  const r = repo.lg(['migrations', 'new', 'Add Clips Table']);
  assert.is(r.code, 0, r.out);
  assert.ok(repo.exists(`${DIR}/007_add_clips_table.sql`), r.out);
  assert.match(r.stdout, /created crates\/loom-server\/migrations\/007_add_clips_table\.sql/);
  assert.match(r.stdout, /register it in crates\/loom-server\/src\/db\/mod\.rs:\n {4}include_str!\("\.\.\/\.\.\/migrations\/007_add_clips_table\.sql"\),/);
  assert.match(r.stdout, /loom-guard nix update/);
  assert.match(repo.read(`${DIR}/007_add_clips_table.sql`), /^-- 007_add_clips_table\.sql: Add Clips Table\n/);

  // Its header alone is not a migration yet.
  register(repo);
  restamp(repo);
  blocked(repo.commit('empty 007'), `${DIR}/007_add_clips_table.sql`, /holds only comments/);

  const bad = repo.lg(['migrations', 'new', '!!!']);
  assert.is(bad.code, 2);
  assert.is(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /"!!!" has no letters or digits/);
  assert.is(repo.lg(['migrations', 'new']).code, 2);
});

test('a well-formed, registered, replay-safe migration passes the commit; editing it while it is only local passes too', () => {
  passed(commitMigration('007_add_clips_table.sql', "CREATE TABLE IF NOT EXISTS clips (id TEXT PRIMARY KEY, title TEXT);\nINSERT OR IGNORE INTO clips (id, title) VALUES ('welcome', 'Welcome');\n"));
  passed(commitMigration('007_add_clips_table.sql', "CREATE TABLE IF NOT EXISTS clips (id TEXT PRIMARY KEY, title TEXT, url TEXT);\nINSERT OR IGNORE INTO clips (id, title) VALUES ('welcome', 'Welcome');\n"));
});

test('INSERT without OR IGNORE is blocked by the replay, naming file and statement; INSERT OR IGNORE passes', () => {
  blocked(
    commitMigration('008_seed_clips.sql', "-- more seed rows\nINSERT INTO clips (id, title) VALUES ('tour', 'Tour');\n"),
    `${DIR}/008_seed_clips.sql:2`,
    /`INSERT INTO clips \(id, title\) VALUES \('tour', 'Tour'\);` fails when the server starts again: UNIQUE constraint failed: clips\.id/,
  );
  passed(commitMigration('008_seed_clips.sql', "-- more seed rows\nINSERT OR IGNORE INTO clips (id, title) VALUES ('tour', 'Tour');\n"));
});

test('SQL with a syntax error is blocked, naming the file, the statement and SQLite\'s message', () => {
  blocked(commitMigration('009_broken.sql', 'CREATE TABLE IF NOT EXISTS ok (a TEXT);\nCRATE INDEX idx ON ok (a);\n'), `${DIR}/009_broken.sql:2`, /near "CRATE": syntax error/);
  reset();
});

test('names: a stray name, .SQL, a gap and an empty file are each blocked, naming the file', () => {
  blocked(commitMigration('009-more.sql', 'SELECT 1;\n'), `${DIR}/009-more.sql`, /does not match NNN_snake_case\.sql \(rename it to 009_more\.sql\)/);
  reset();
  blocked(commitMigration('009_more.SQL', 'SELECT 1;\n'), `${DIR}/009_more.SQL`, /does not match NNN_snake_case\.sql/);
  reset();
  blocked(commitMigration('010_skip.sql', 'SELECT 1;\n'), `${DIR}/010_skip.sql`, /no 009 between 008_seed_clips\.sql and 010_skip\.sql/);
  reset();
  blocked(commitMigration('009_empty.sql', ''), `${DIR}/009_empty.sql`, /file is empty/);
  reset();
  // A README in the folder is not a migration.
  passed(commitMigration('README.md', '# Migrations\nRun at every start.\n', { registered: false }));
});

test('registry: an unregistered file and a registration of a missing file are blocked', () => {
  blocked(commitMigration('009_unlisted.sql', 'SELECT 1;\n', { registered: false }), `${DIR}/009_unlisted.sql`, /is not registered in crates\/loom-server\/src\/db\/mod\.rs, so it never runs/);
  reset();
  register(repo, [...sqlFiles(repo), '009_ghost.sql']);
  blocked(repo.commit('ghost'), `${REG}:`, /009_ghost\.sql, which does not exist/);
  reset();
  register(repo, [...sqlFiles(repo)].reverse());
  blocked(repo.commit('reversed'), REG, /is registered after/);
  reset();
  register(repo, []); // the list emptied: still the registry, so every file is unregistered
  blocked(repo.commit('empty list'), `${DIR}/001_create_threads.sql`, /is not registered in crates\/loom-server\/src\/db\/mod\.rs/);
  reset();
});

test('a migration on origin/trunk: editing, deleting or renaming it is blocked; LOOM_GUARD_SKIP=migrations lets it through, saying so', () => {
  const file = `${DIR}/003_add_git_metadata.sql`;
  repo.write(file, `${repo.read(file)}ALTER TABLE threads ADD COLUMN git_tag TEXT;\n`);
  restamp(repo);
  blocked(repo.commit('edit 003'), file, /is edited, but it is on origin\/trunk/);
  repo.git('rm', '-q', `${DIR}/004_git_repos_and_commits.sql`);
  register(repo);
  restamp(repo);
  blocked(repo.commit('delete 004'), `${DIR}/004_git_repos_and_commits.sql`, /is deleted, but it is on origin\/trunk/);
  reset();
  repo.git('mv', `${DIR}/002_add_visibility.sql`, `${DIR}/002_add_thread_visibility.sql`);
  register(repo);
  restamp(repo);
  blocked(repo.commit('rename 002'), `${DIR}/002_add_visibility.sql`, /is renamed to 002_add_thread_visibility\.sql/);
  reset();

  repo.write(file, `${repo.read(file)}ALTER TABLE threads ADD COLUMN git_tag TEXT;\n`);
  restamp(repo);
  const r = repo.commit('edit 003 on purpose', { env: { LOOM_GUARD_SKIP: 'migrations' } });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /skipped migrations \(LOOM_GUARD_SKIP=migrations\)/);
  assert.match(r.out, /- +migrations +skipped/);
});

test('a commit that touches no migration leaves the check inactive; migrations check exits 0/1/2', () => {
  repo.write('NOTES.md', 'nothing to do with SQL\n');
  repo.git('add', '-A');
  // The hook's shim may not even start Node for this; the pre-commit job itself says why it is idle.
  const job = repo.lg(['pre-commit'], { env: { LOOM_GUARD_SKIP: 'nix-sync,fmt,clippy,build,test' } });
  assert.is(job.code, 0, job.out);
  assert.match(job.out, /· +migrations +no migration changes/);
  const r = repo.commit('notes');
  assert.is(r.code, 0, r.out);
  assert.is(repo.lg(['migrations', 'check']).code, 0);
  repo.write(`${DIR}/009_x.sql`, 'SELECT 1;\n');
  repo.git('add', '-A');
  assert.is(repo.lg(['migrations', 'check']).code, 1);
  reset();

  // replay modes from the config: `once` applies each file once, `off` does not run SQLite at all.
  repo.write(`${DIR}/009_seed_log.sql`, "CREATE TABLE IF NOT EXISTS log (msg TEXT);\nINSERT INTO log (msg) VALUES ('hi');\n");
  register(repo);
  repo.git('add', '-A');
  const loom = repo.lg(['migrations', 'check']);
  assert.is(loom.code, 1);
  assert.match(loom.out, /009_seed_log\.sql:2: .*takes table log from 1 to 2 rows/);
  repo.write('.loom-guard.json', JSON.stringify({ replay: 'once' }));
  const once = repo.lg(['migrations', 'check']);
  assert.is(once.code, 0, once.out);
  assert.match(once.out, /applied once/);
  repo.write('.loom-guard.json', JSON.stringify({ replay: 'off' }));
  repo.write(`${DIR}/009_seed_log.sql`, 'CREAT nonsense;\n');
  repo.git('add', '-A');
  const off = repo.lg(['migrations', 'check']);
  assert.is(off.code, 0, off.out);
  assert.not.match(off.out, /replayed|applied/);
  reset();
  const outside = sh(process.execPath, [join(ROOT, 'dist/cli.js'), 'migrations', 'check'], { cwd: tempDir() });
  assert.is(outside.code, 2);
  assert.is(outside.stderr.trim().split('\n').length, 1);
});

test('migrations new: several folders need --folder; the protected ref is missing: numbered locally, said once', () => {
  repo.write('crates/loom-common-core/migrations/001_core.sql', 'SELECT 1;\n');
  const many = repo.lg(['migrations', 'new', 'x']);
  assert.is(many.code, 2);
  assert.match(many.stderr, /2 migrations folders .*choose one with --folder/);
  const r = repo.lg(['migrations', 'new', 'core two', '--folder', 'crates/loom-common-core/migrations']);
  assert.is(r.code, 0, r.out);
  assert.ok(repo.exists('crates/loom-common-core/migrations/002_core_two.sql'));
  reset();
  repo.git('remote', 'remove', 'origin');
  const local = repo.lg(['migrations', 'new', 'local only']);
  assert.is(local.code, 0, local.out);
  assert.match(local.stdout, /numbered from the local folder only: no protected ref: origin\/trunk, origin\/main, origin\/master not found/);
  assert.ok(repo.exists(`${DIR}/009_local_only.sql`));
  reset();
});

test('protected ref: the configured one, else origin/trunk, origin/main, origin/master; none is one note', async () => {
  const { resolveProtectedRef } = await import(join(ROOT, 'dist/migrations/protectedRef.js'));
  const head = repo.git('rev-parse', 'HEAD').trim();
  const resolve = (protectedRef = null) => resolveProtectedRef(repo.dir, { protectedRef });
  assert.is((await resolve()).ref, null);
  assert.match((await resolve()).note, /^no protected ref: origin\/trunk, origin\/main, origin\/master not found/);
  repo.git('update-ref', 'refs/remotes/origin/master', head);
  assert.is((await resolve()).ref, 'origin/master');
  repo.git('update-ref', 'refs/remotes/origin/main', head);
  assert.is((await resolve()).ref, 'origin/main');
  repo.git('update-ref', 'refs/remotes/origin/trunk', head);
  assert.equal(await resolve(), { ref: 'origin/trunk', commit: head });
  assert.match((await resolve('release')).note, /protected ref release \(config protectedRef\) does not exist/);
  repo.git('branch', 'release');
  assert.is((await resolve('release')).ref, 'release');
});

test.after(() => {
  repo.remove();
  rmSync(remote, { recursive: true, force: true });
});

test.run();
