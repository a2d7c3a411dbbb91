// Every real Cargo.lock/Cargo.nix pair of the corpus against its meta.json: the pure rule in both
// modes, and `loom-guard nix check` on the pair committed in a real repository.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, Repo, ROOT } from './helpers/repo.mjs';
import { CORPUS_IS_SHARED, testIf } from './helpers/corpus.mjs';

const { checkNixSync } = await import(join(ROOT, 'dist/nix/rules.js'));
const { parseCargoLock } = await import(join(ROOT, 'dist/nix/cargoLock.js'));
const { parseCargoNixPackages } = await import(join(ROOT, 'dist/nix/cargoNixPackages.js'));

const DIR = join(CORPUS, 'cargo2nix');
const cases = readdirSync(DIR)
  .sort()
  .map((name) => ({
    name,
    meta: JSON.parse(readFileSync(join(DIR, name, 'meta.json'), 'utf8')),
    lock: readFileSync(join(DIR, name, 'Cargo.lock')),
    nix: readFileSync(join(DIR, name, 'Cargo.nix'), 'utf8'),
  }));

const state = (lock, nix) => ({ compare: false, lock: { old: null, new: lock }, nix: { old: null, new: nix }, manifests: [], resources: { old: null, new: [] } });
/** The commit that added both files (both changed). */
const bothChanged = (lock, nix) => ({ compare: true, lock: { old: null, new: lock }, nix: { old: null, new: nix }, manifests: [], resources: { old: [], new: [] } });
/** A commit that changed Cargo.lock only. */
const lockOnly = (lock, nix) => ({ compare: true, lock: { old: Buffer.from('# older lock\n'), new: lock }, nix: { old: nix, new: nix }, manifests: [], resources: { old: [], new: [] } });

/** What the legacy rule expects for a case without lock hash: the package sets decide. */
const legacyDiffers = (meta) => meta.package_set_check.lock_only_count + meta.package_set_check.nix_only_count + meta.package_set_check.checksum_mismatch_count > 0;

/** The whole corpus has 30 cases; the fixture set 8 (see test/fixtures/corpus/README.md). */
const EXPECTED = CORPUS_IS_SHARED ? { cases: 30, noHash: 8 } : { cases: 8, noHash: 4 };
const has = (...names) => names.every((n) => cases.some((c) => c.name === n));
const LOOM = existsSync(join(CORPUS, 'loom-Cargo.lock'));

test('the corpus is there and unaltered (30 cases, or the 8 fixtures; sha256 of every Cargo.lock as recorded)', () => {
  assert.is(cases.length, EXPECTED.cases);
  for (const c of cases) assert.is(createHash('sha256').update(c.lock).digest('hex'), c.meta.sha256_of_lock, c.name);
});

test('both parsers read every case: lock packages as counted, Cargo.nix crates as listed (all lock formats, reformatted files)', () => {
  for (const c of cases) {
    assert.is(parseCargoLock(c.lock.toString('utf8')).length, c.meta.lock_packages, `${c.name} lock`);
    assert.is(parseCargoNixPackages(c.nix).length, c.meta.package_set_check.nix_packages, `${c.name} nix`);
  }
  // v1 locks keep checksums in [metadata]: they are read.
  const v1 = cases.find((c) => c.name === 'cargo2nix__cargo2nix@4b4e65a');
  assert.ok(parseCargoLock(v1.lock.toString('utf8')).filter((p) => p.checksum).length > 100);
});

test('every case judged on its own: in-sync pass, drift blocked with both hashes, no-hash cannot tell unless the crates differ', () => {
  for (const c of cases) {
    const r = checkNixSync(state(c.lock, c.nix));
    if (c.meta.in_sync === true) {
      assert.is(r.verdict, 'in-sync', c.name);
    } else if (c.meta.in_sync === false) {
      assert.is(r.verdict, 'out-of-sync', c.name);
      assert.ok(r.findings[0].message.includes(`Cargo.nix ${c.meta.lock_hash_in_nix} is out of sync with Cargo.lock ${c.meta.sha256_of_lock}`), c.name);
    } else {
      assert.is(r.verdict, legacyDiffers(c.meta) ? 'out-of-sync' : 'undetermined', c.name);
    }
  }
});

test('no-hash cases under the legacy rule: both files changed passes when the crates agree; a lock-only change is blocked', () => {
  const noHash = cases.filter((c) => c.meta.in_sync === null);
  assert.is(noHash.length, EXPECTED.noHash);
  for (const c of noHash) {
    assert.is(checkNixSync(bothChanged(c.lock, c.nix)).verdict, legacyDiffers(c.meta) ? 'out-of-sync' : 'in-sync', c.name);
    const r = checkNixSync(lockOnly(c.lock, c.nix));
    assert.is(r.verdict, 'out-of-sync', c.name);
    assert.ok(r.findings.some((f) => f.kind === 'lock-without-nix'), c.name);
  }
});

test('cargo2nix__cargo2nix@4bbd313: the seven differing crate versions are listed both ways', () => {
  const c = cases.find((x) => x.name === 'cargo2nix__cargo2nix@4bbd313');
  const r = checkNixSync(state(c.lock, c.nix));
  const message = r.findings.find((f) => f.kind === 'package-set').message;
  assert.ok(message.includes(`only in Cargo.lock (7): ${c.meta.package_set_check.lock_only.join(', ')}`), message);
  assert.ok(message.includes(`only in Cargo.nix (7): ${c.meta.package_set_check.nix_only.join(', ')}`), message);
  assert.match(r.fix, /loom-guard nix update/);
});

testIf(test, has('DarkKirb__rachat@21342d6', 'DarkKirb__chir.rs@93c4a41'))('drift with identical crate sets (DarkKirb__rachat@21342d6, DarkKirb__chir.rs@93c4a41) is still blocked by the hash', () => {
  for (const name of ['DarkKirb__rachat@21342d6', 'DarkKirb__chir.rs@93c4a41']) {
    const c = cases.find((x) => x.name === name);
    assert.is(legacyDiffers(c.meta), false);
    assert.is(checkNixSync(state(c.lock, c.nix)).verdict, 'out-of-sync', name);
  }
});

testIf(test, LOOM)("Loom's own lock with the head of its Cargo.nix is in sync", () => {
  const lock = readFileSync(join(CORPUS, 'loom-Cargo.lock'));
  const nix = readFileSync(join(CORPUS, 'loom-cargo-nix-header.nix'), 'utf8');
  const r = checkNixSync(state(lock, nix));
  assert.is(r.verdict, 'in-sync');
  assert.is(r.lockHash.recorded, 'f58b261d5e53f7da504cab26e25c8399791c64bb1b4118162e53350fb1c55ba1');
  assert.is(parseCargoLock(lock.toString('utf8')).length, 804);
});

test('nix check on every case committed in a real repository: exit 0 in sync, 1 drift, 2 or 1 without hash', () => {
  const repo = Repo.init();
  try {
    for (const c of cases) {
      copyFileSync(join(DIR, c.name, 'Cargo.lock'), join(repo.dir, 'Cargo.lock'));
      copyFileSync(join(DIR, c.name, 'Cargo.nix'), join(repo.dir, 'Cargo.nix'));
      repo.commitNoVerify(c.name);
      const r = repo.lg(['nix', 'check']);
      const expected = c.meta.in_sync === true ? 0 : c.meta.in_sync === false ? 1 : legacyDiffers(c.meta) ? 1 : 2;
      assert.is(r.code, expected, `${c.name}: ${r.out}`);
      if (expected === 1 && c.meta.in_sync === false) assert.ok(r.out.includes(c.meta.sha256_of_lock), c.name);
    }
    if (!LOOM) return; // Loom's own pair is only in the whole corpus
    copyFileSync(join(CORPUS, 'loom-Cargo.lock'), join(repo.dir, 'Cargo.lock'));
    copyFileSync(join(CORPUS, 'loom-cargo-nix-header.nix'), join(repo.dir, 'Cargo.nix'));
    repo.commitNoVerify('loom');
    const loom = repo.lg(['nix', 'check', '--json']);
    assert.is(loom.code, 0, loom.out);
    assert.is(JSON.parse(loom.stdout).verdict, 'in-sync');
  } finally {
    repo.remove();
  }
});

test.run();
