// The naming schemes (config `naming`: loom, sqlx, refinery) on generated folders: valid sets pass;
// duplicates, a down without an up, a bad width, gaps and strays are blocked, and every name the
// rules suggest is itself valid under the active scheme. Pure rules; the CLI and hooks are in
// migrations-schemes-hook.test.mjs.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from './helpers/repo.mjs';
import { rng } from './helpers/rng.mjs';

const dist = (m) => import(join(ROOT, 'dist', m));
const { checkNames, parseMigrationName, schemeOf } = await dist('migrations/names.js');
const { checkProtected } = await dist('migrations/protected.js');
const { nextFiles, utcTimestamp } = await dist('commands/migrationsNew.js');

const DIR = 'db/migrations';
const SQL = 'CREATE TABLE IF NOT EXISTS t (a TEXT);\n';
const folder = (names, content = SQL) => names.map((name) => ({ path: `${DIR}/${name}`, content }));
const errors = (r) => r.findings.filter((x) => x.severity === 'error');
const text = (findings) => findings.map((x) => `${x.file.slice(DIR.length + 1)}: ${x.message}`).join('\n');
const byFile = (r, name) => r.findings.filter((x) => x.file === `${DIR}/${name}`);

/** Every name a finding tells a file to take must itself be a valid name under the scheme. */
function suggestionsValid(r, naming) {
  for (const f of r.findings) {
    const shown = /rename it to (\S+?)\)?(?:,|$| )/.exec(f.message)?.[1];
    if (shown) assert.is(shown, f.rename, `${f.message}: the shown name is the recorded one`);
    if (f.rename === undefined) {
      assert.not.match(f.message, /rename it to/, f.message);
      continue;
    }
    assert.ok(parseMigrationName(`${DIR}/${f.rename}`, schemeOf(naming)), `${naming}: ${f.rename} (suggested for ${f.file}) is a valid name`);
  }
}

const run = (naming, names, options = {}) => {
  const r = checkNames(folder(names, options.content), { scheme: naming, ...options });
  suggestionsValid(r, naming);
  return r;
};

// ---- loom ----------------------------------------------------------------------------------------

test('loom: a valid folder passes; a gap, a duplicate and a bad width are blocked with valid names', () => {
  assert.equal(errors(run('loom', ['001_a.sql', '002_b.sql', '003_c.sql'])), []);
  const r = run('loom', ['001_a.sql', '002_b.sql', '002_c.sql', '0004_d.sql', '006_f.sql']);
  const t = text(r.findings);
  assert.match(t, /002_c\.sql: number 002 is used twice \(also 002_b\.sql\): give it the next free number \(rename it to 007_c\.sql\)/);
  assert.match(t, /0004_d\.sql: number 0004 is not 3 digits wide like the rest of the folder \(rename it to 004_d\.sql\)/);
  assert.match(t, /006_f\.sql: numbering has a gap: no 005 between/);
  assert.equal(errors(run('loom', ['001_a.sql', '003_c.sql'], { gaps: true })), [], 'gaps: true lets a gap pass');
});

test('loom: 0000.sql gets no made-up name (never 000_sql.sql); a too-wide number gets none either', () => {
  const r = run('loom', ['0000.sql', '001_a.sql', '002_b.sql', '12345_big.sql']);
  const zero = byFile(r, '0000.sql');
  assert.is(zero.length, 1);
  assert.match(zero[0].message, /has no description after the number/);
  assert.not.match(zero[0].message, /000_sql|rename it to/);
  assert.is(zero[0].rename, undefined);
  assert.match(byFile(r, '12345_big.sql')[0].message, /does not fit in 3: renumber it by hand/);
});

test('loom: an .up.sql file is not told to become _up.sql; a folder of sqlx files is told its scheme', () => {
  const r = run('loom', ['20240101120000_create_users.up.sql', '20240101120000_create_users.down.sql', '20240305093000_add_posts.sql', '20240412170000_add_tags.sql']);
  assert.not.match(text(r.findings), /_up\.sql|_down\.sql/);
  assert.is(r.betterScheme, 'sqlx');
  const own = run('loom', ['001_a.sql', '002_b.sql', '0003_c.sql']);
  assert.is(own.betterScheme, null, 'a loom folder with one slip stays loom');
});

// ---- sqlx ----------------------------------------------------------------------------------------

const SQLX_OK = [
  '20240101120000_create_users.sql',
  '20240102090000_add_posts.up.sql',
  '20240102090000_add_posts.down.sql',
  '20240110000000_seed data.sql', // sqlx takes any description after the first `_`
  '20240201000000_add_tags.up.sql', // an up without a down is fine
];

test('sqlx: timestamps with gaps, up/down pairs and any description pass; downs are not applied', () => {
  const r = run('sqlx', SQLX_OK);
  assert.equal(errors(r), []);
  assert.is(r.migrations.length, 5);
  assert.equal(r.migrations.filter((m) => m.kind === 'down').map((m) => m.name), ['20240102090000_add_posts.down.sql']);
  assert.equal(errors(run('sqlx', ['1_a.sql', '2_b.sql', '0003_c.sql'])), [], 'integer versions of any width');
});

test('sqlx: a duplicate version, a down without an up, two downs and a too-large version are blocked', () => {
  const r = run('sqlx', [
    ...SQLX_OK,
    '20240101120000_other.sql',
    '20240301000000_drop_x.down.sql',
    '20240201000000_add_tags.down.sql',
    '20240201000000_again.down.sql',
    '99999999999999999999_huge.sql',
  ], { isChanged: (p) => p.endsWith('_other.sql') || p.endsWith('_again.down.sql') });
  const t = text(r.findings);
  assert.match(t, /20240101120000_other\.sql: number 20240101120000 is used twice \(also 20240101120000_create_users\.sql\)/);
  assert.match(t, /20240301000000_drop_x\.down\.sql: is a down migration without an up \(there is no 20240301000000_\*\.up\.sql\)/);
  assert.match(t, /20240201000000_again\.down\.sql: is a second down migration for 20240201000000_add_tags\.up\.sql/);
  assert.match(t, /99999999999999999999_huge\.sql: version 99999999999999999999 is too large \(sqlx reads versions as a signed 64-bit integer\)/);
  // The free versions above every file of the folder (downs too), kept at the timestamp width.
  assert.match(t, /99999999999999999999_huge\.sql: .*rename it to 20240301000001_huge\.sql/);
  assert.match(t, /20240101120000_other\.sql: .*rename it to 20240301000002_other\.sql/);
  assert.is(r.betterScheme, null);
});

test('sqlx: a down beside a plain file is a down without an up; gaps: false blocks gaps at the file width', () => {
  const r = run('sqlx', ['0001_a.sql', '0001_a.down.sql']);
  assert.match(text(r.findings), /0001_a\.down\.sql: is a down migration without an up \(0001_a\.sql is not an \.up\.sql file\)/);
  const gaps = run('sqlx', ['0001_a.sql', '0002_b.up.sql', '0002_b.down.sql', '0005_e.sql'], { gaps: false });
  assert.match(text(gaps.findings), /0005_e\.sql: numbering has a gap: no 0003 to 0004 between 0002_b\.up\.sql and 0005_e\.sql \(renumber it: rename it to 0003_e\.sql/);
});

test('sqlx: strays get a valid sqlx name or none (0000.sql, .SQL, a dash, no number)', () => {
  const r = run('sqlx', ['0000.sql', '20240101-add-x.sql', '20240102_add_y.SQL', 'create_z.sql', '20240103_add_w.UP.sql', '20240104_.sql']);
  assert.match(byFile(r, '0000.sql')[0].message, /has no description after the number/);
  assert.is(byFile(r, '0000.sql')[0].rename, undefined);
  assert.is(byFile(r, '20240101-add-x.sql')[0].rename, '20240101_add_x.sql');
  assert.is(byFile(r, '20240102_add_y.SQL')[0].rename, '20240102_add_y.sql');
  assert.match(byFile(r, 'create_z.sql')[0].message, /does not start with a version number/);
  assert.equal(byFile(r, '20240103_add_w.UP.sql'), [], 'sqlx reads .UP.sql as a plain migration described "add_w.UP"');
  assert.match(byFile(r, '20240104_.sql')[0]?.message ?? '', /name does not match|has no description/);
});

// ---- refinery ------------------------------------------------------------------------------------

test('refinery: V and U files with gaps pass; U is applied (unversioned), not an undo', () => {
  const r = run('refinery', ['V1__initial.sql', 'V2__add_cars_and_motos_table.sql', 'U3__backfill.sql', 'V7__AddBrand.sql']);
  assert.equal(errors(r), []);
  assert.equal(r.migrations.map((m) => m.kind), ['plain', 'plain', 'unversioned', 'plain']);
});

test('refinery: a version shared by V and U, a version over i32, strays and gaps: false', () => {
  const r = run('refinery', ['V1__initial.sql', 'V2__a.sql', 'U2__b.sql', 'V3000000000__huge.sql', 'V4_single.sql', 'v5__Lower.sql', 'V6__x.up.sql'], {
    isChanged: (p) => p.endsWith('U2__b.sql'),
  });
  const t = text(r.findings);
  assert.match(t, /U2__b\.sql: number 2 is used twice \(also V2__a\.sql\): give it the next free number \(rename it to U8__b\.sql\)/);
  // Above the strays too (V4_, v5__, V6__ keep their numbers when renamed).
  assert.match(t, /V3000000000__huge\.sql: version 3000000000 is too large \(refinery reads versions as a signed 32-bit integer\): renumber it \(rename it to V7__huge\.sql\)/);
  assert.is(byFile(r, 'V4_single.sql')[0].rename, 'V4__single.sql');
  assert.is(byFile(r, 'v5__Lower.sql')[0].rename, 'V5__lower.sql');
  assert.match(byFile(r, 'V6__x.up.sql')[0].message, /refinery has no \.up\/\.down files/);
  assert.match(text(run('refinery', ['V1__a.sql', 'V3__c.sql'], { gaps: false }).findings), /V3__c\.sql: numbering has a gap: no 2 between V1__a\.sql and V3__c\.sql \(renumber it: rename it to V2__c\.sql/);
  const padded = run('refinery', ['V001__a.sql', 'V002__b.sql', 'V002__c.sql'], { isChanged: (p) => p.endsWith('c.sql') });
  assert.is(byFile(padded, 'V002__c.sql')[0].rename, 'V003__c.sql', "the folder's zero padding is kept");
});

// ---- protected ref, in every scheme ---------------------------------------------------------------

function protectedCase(naming, onRef, target, changes, targetContent = new Map()) {
  const scheme = schemeOf(naming);
  const parsed = target.map((n) => parseMigrationName(`${DIR}/${n}`, scheme)).filter(Boolean);
  const width = naming === 'loom' ? 3 : 1;
  return checkProtected({ ref: 'origin/trunk', width, allowEdits: false, scheme: naming, protectedFiles: folder(onRef), target: parsed, changes, targetContent });
}

test('protected: a new migration numbered below the ref is renumbered with a name valid in its scheme', () => {
  const cases = [
    ['loom', ['001_a.sql', '002_b.sql'], '002_mine.sql', '003_mine.sql'],
    ['sqlx', ['20240101120000_a.sql', '20240105000000_b.up.sql'], '20240103000000_mine.up.sql', '20240105000001_mine.up.sql'],
    ['refinery', ['V1__a.sql', 'V2__b.sql'], 'V2__mine.sql', 'V3__mine.sql'],
  ];
  for (const [naming, onRef, mine, expected] of cases) {
    const findings = protectedCase(naming, onRef, [...onRef, mine], [{ status: 'A', path: `${DIR}/${mine}` }]);
    assert.is(findings.length, 1, naming);
    assert.is(findings[0].rename, expected, naming);
    assert.ok(findings[0].message.includes(`git mv ${DIR}/${mine} ${DIR}/${expected}`), findings[0].message);
    assert.ok(parseMigrationName(`${DIR}/${expected}`, schemeOf(naming)));
  }
});

test('protected: a sqlx up moved above the ref takes its down along; a new down for a pushed up and a refinery U file pass', () => {
  const mine = ['20240103000000_mine.up.sql', '20240103000000_mine.down.sql'];
  const onRef = ['20240101120000_a.up.sql', '20240105000000_b.sql'];
  const findings = protectedCase('sqlx', onRef, [...onRef, ...mine], mine.map((n) => ({ status: 'A', path: `${DIR}/${n}` })));
  assert.is(findings.length, 1);
  assert.match(findings[0].message, /git mv \S+20240103000000_mine\.up\.sql \S+20240105000001_mine\.up\.sql and git mv \S+20240103000000_mine\.down\.sql \S+20240105000001_mine\.down\.sql/);
  const down = '20240101120000_a.down.sql';
  assert.equal(protectedCase('sqlx', onRef, [...onRef, down], [{ status: 'A', path: `${DIR}/${down}` }]), []);
  assert.equal(protectedCase('refinery', ['V1__a.sql', 'V5__b.sql'], ['V1__a.sql', 'V5__b.sql', 'U2__fix.sql'], [{ status: 'A', path: `${DIR}/U2__fix.sql` }]), []);
});

test('protected: an edited, renamed or deleted migration on the ref is blocked in every scheme, with the restore command', () => {
  const sets = { loom: ['001_a.sql', '002_b.sql'], sqlx: ['20240101120000_a.up.sql', '20240101120000_a.down.sql', '20240105000000_b.sql'], refinery: ['V1__a.sql', 'U2__b.sql'] };
  for (const [naming, onRef] of Object.entries(sets)) {
    const [first, second] = onRef;
    const findings = protectedCase(naming, onRef, [first], [
      { status: 'M', path: `${DIR}/${first}` },
      { status: 'D', path: `${DIR}/${second}` },
    ], new Map([[`${DIR}/${first}`, 'CREATE TABLE changed (x);\n']]));
    const t = text(findings);
    assert.ok(t.includes(`${first}: is edited, but it is on origin/trunk and servers will not run it again: restore it (git checkout origin/trunk -- ${DIR}/${first}) and put the change in a new migration (loom-guard migrations new <name>)`), `${naming}: ${t}`);
    assert.ok(t.includes(`${second}: is deleted, but it is on origin/trunk`), `${naming}: ${t}`);
  }
});

// ---- migrations new ------------------------------------------------------------------------------

test('migrations new: the next name in each scheme (sqlx: a UTC timestamp, or sequential as sqlx-cli infers)', () => {
  const parse = (naming, names) => names.map((n) => parseMigrationName(`${DIR}/${n}`, schemeOf(naming)));
  const now = new Date(Date.UTC(2026, 10, 25, 23, 5, 9));
  assert.is(utcTimestamp(now), '20261125230509');
  assert.equal(nextFiles(schemeOf('loom'), 'add_tags', parse('loom', ['001_a.sql', '002_b.sql']), parse('loom', ['003_c.sql']), now), ['004_add_tags.sql']);
  assert.equal(nextFiles(schemeOf('sqlx'), 'add_tags', parse('sqlx', ['20240101120000_a.sql']), [], now), ['20261125230509_add_tags.sql']);
  assert.equal(nextFiles(schemeOf('sqlx'), 'add_tags', [], [], now), ['20261125230509_add_tags.sql']);
  assert.equal(nextFiles(schemeOf('sqlx'), 'add_tags', parse('sqlx', ['0001_a.sql', '0002_b.sql']), [], now), ['0003_add_tags.sql']);
  assert.equal(
    nextFiles(schemeOf('sqlx'), 'add_tags', parse('sqlx', ['20240101120000_a.up.sql', '20240101120000_a.down.sql']), [], now),
    ['20261125230509_add_tags.up.sql', '20261125230509_add_tags.down.sql'],
  );
  // A ref already ahead of the clock (or of a bad clock): one above it.
  assert.equal(nextFiles(schemeOf('sqlx'), 'x', [], parse('sqlx', ['29990101000000_future.sql']), now), ['29990101000001_x.sql']);
  assert.equal(nextFiles(schemeOf('refinery'), 'add_tags', parse('refinery', ['V1__a.sql', 'U2__b.sql']), [], now), ['V3__add_tags.sql']);
  assert.equal(nextFiles(schemeOf('refinery'), 'add_tags', [], [], now), ['V1__add_tags.sql']);
});

// ---- generated folders: every suggestion valid, in every scheme ---------------------------------


function randomName(r) {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const digits = pick([() => String(1 + Math.floor(r() * 12)), () => String(1 + Math.floor(r() * 12)).padStart(pick([2, 3, 4]), '0'), () => `2024${String(1 + Math.floor(r() * 12)).padStart(2, '0')}0${Math.floor(r() * 9)}120000`, () => '9'.repeat(pick([10, 19, 20, 22])), () => '0000'])();
  const words = pick(['', 'init', 'add_users', 'AddUsers', 'add-users', 'seed data', 'x', '__x', 'create_table_a']);
  const name = `${pick(['', '', '', 'V', 'U', 'v'])}${digits}${pick(['_', '_', '__', '-', ' ', '.', ''])}${words}${pick(['', '', '.up', '.down'])}${pick(['.sql', '.sql', '.sql', '.SQL', ''])}`;
  return /^[UVuv]?\d/.test(name) || name.endsWith('.sql') || name.endsWith('.SQL') ? name : `${name}.sql`;
}

test('generated folders: every name suggested is valid under the active scheme; no finding without one says "rename it to"', () => {
  for (const naming of ['loom', 'sqlx', 'refinery']) {
    const scheme = schemeOf(naming);
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed * 7919 + naming.length);
      const names = [...new Set(Array.from({ length: 2 + Math.floor(r() * 8) }, () => randomName(r)))];
      const result = checkNames(folder(names), { scheme: naming, gaps: r() < 0.5 ? null : r() < 0.5 });
      for (const f of result.findings) {
        const where = `${naming} seed ${seed} [${names.join(' | ')}] ${f.file}: ${f.message}`;
        if (f.rename === undefined) {
          assert.not.match(f.message, /rename it to/, where);
          continue;
        }
        const parsed = parseMigrationName(`${DIR}/${f.rename}`, scheme);
        assert.ok(parsed, `not a valid name: ${where}`);
        if (scheme.max) assert.ok(parsed.number <= scheme.max.value, `too large: ${where}`);
        if (naming === 'loom') assert.is(parsed.digits.length, result.width, `width: ${where}`);
        assert.ok(!/^(sql|up|down)$/.test(parsed.slug), `a description made of the extension: ${where}`);
        // Never the number of another applied file (a rename into a duplicate).
        if (parsed.kind !== 'down' && f.rule === 'names') {
          const clash = result.migrations.find((m) => m.kind !== 'down' && m.number === parsed.number && m.path !== f.file);
          assert.not.ok(clash, `renamed onto ${clash?.name}: ${where}`);
        }
      }
    }
  }
});

test('gaps: false: refinery follows the folder padding (V9__ among V1..V8), timestamps get no renames, renames chain', () => {
  const refinery = run('refinery', ['V1__a.sql', 'V2__b.sql', 'V3__c.sql', 'V4__d.sql', 'V5__e.sql', 'V6__f.sql', 'V7__g.sql', 'V8__h.sql', 'V10__j.sql'], { gaps: false });
  assert.equal(refinery.findings.map((x) => x.rename), ['V9__j.sql']);
  assert.match(text(refinery.findings), /V10__j\.sql: numbering has a gap: no 9 between V8__h\.sql and V10__j\.sql/);
  const padded = run('refinery', ['V001__a.sql', 'V003__c.sql'], { gaps: false });
  assert.equal(padded.findings.map((x) => x.rename), ['V002__c.sql']);

  const stamps = run('sqlx', ['20240101000000_a.sql', '20240102000000_b.sql', '20240103000000_c.sql'], { gaps: false });
  assert.is(stamps.findings.length, 2);
  for (const f of stamps.findings) {
    assert.is(f.rename, undefined);
    assert.match(f.message, /timestamped versions skip numbers by nature: set "gaps": true/);
  }

  // 001, 003, 004: 003 is told 002, so 004 must become 003, or the folder has a gap again.
  const chain = run('loom', ['001_a.sql', '003_c.sql', '004_d.sql', '006_f.sql']);
  assert.equal(chain.findings.map((x) => x.rename), ['002_c.sql', '003_d.sql', '004_f.sql']);
  const after = new Set(['001_a.sql', ...chain.findings.map((x) => x.rename)]);
  assert.equal(errors(run('loom', [...after])), [], 'the renamed folder has no gap');
});

test.run();
