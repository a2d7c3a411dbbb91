// The legacy Cargo.nix rule (no nixifiedLockHash, cargo2nix before 0.12) and the generator that
// `nix update` picks. cargo2nix leaves out crates no enabled feature uses, so crates only in
// Cargo.lock are a warning; crates only in Cargo.nix, and a lock change without a Cargo.nix change,
// still block. Generated pairs always; a real corpus pair with crates dropped when ../shared is there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CORPUS, Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { scaffold, workspaceRepo } from './helpers/workspace.mjs';

const { checkNixSync } = await import(join(ROOT, 'dist/nix/rules.js'));
const { parseCargoNixPackages } = await import(join(ROOT, 'dist/nix/cargoNixPackages.js'));

const FAKE = join(ROOT, 'test/fixtures/fake-cargo2nix.mjs');
const ONLY_NIX = { LOOM_GUARD_SKIP: 'migrations,fmt,clippy,build,test' };
const REGISTRY = 'registry+https://github.com/rust-lang/crates.io-index';
const hex = (i) => i.toString(16).padStart(2, '0').repeat(32);
const lockEntry = (name, i) => `\n[[package]]\nname = "${name}"\nversion = "1.0.${i}"\nsource = "${REGISTRY}"\nchecksum = "${hex(i)}"\n`;
const nixEntry = (name, i) => `  "${REGISTRY}".${name}."1.0.${i}" = overridableMkRustCrate (profileName: rec {
    name = "${name}";
    version = "1.0.${i}";
    registry = "${REGISTRY}";
    src = fetchCratesIo { inherit name version; sha256 = "${hex(i)}"; };
  });

`;
/** Cargo.nix with crate entries added before its closing brace. */
const withNixEntries = (nix, entries) => {
  const end = nix.lastIndexOf('}');
  return `${nix.slice(0, end)}${entries.join('')}${nix.slice(end)}`;
};
const legacy = (nix) => nix.replace(/^\s*nixifiedLockHash = .*\n/m, '');
const nixLine = (out) => out.split('\n').find((l) => l.includes('nix-sync')) ?? '';

// A workspace whose Cargo.nix comes from an older cargo2nix: two registry crates, both used.
const { repo, spec } = await workspaceRepo({ crates: 2 });
const files = scaffold.workspaceFiles(spec);
const baseLock = (files instanceof Map ? files.get('Cargo.lock') : files['Cargo.lock']) + lockEntry('used_a', 1) + lockEntry('used_b', 2);
const baseNix = withNixEntries(legacy(repo.read('Cargo.nix')), [nixEntry('used_a', 1), nixEntry('used_b', 2)]);
repo.write('Cargo.lock', baseLock);
repo.write('Cargo.nix', baseNix);
repo.commitNoVerify('an older cargo2nix');

const UNUSED = Array.from({ length: 12 }, (_, i) => `unused_${String(i).padStart(2, '0')}`);

test('legacy: a regenerated Cargo.nix that leaves out 12 unused crates passes with a warning listing 10 and the count', () => {
  repo.write('Cargo.lock', `${baseLock}${UNUSED.map((n, i) => lockEntry(n, 10 + i)).join('')}${lockEntry('used_c', 3)}`);
  repo.write('Cargo.nix', withNixEntries(baseNix, [nixEntry('used_c', 3)]));
  repo.git('add', '-A');
  const check = repo.lg(['nix', 'check']);
  assert.is(check.code, 0, check.out);
  assert.match(check.out, /⚠ +nix-sync +Cargo\.nix in sync/);
  const listed = UNUSED.slice(0, 10).map((n, i) => `${n} 1.0.${10 + i}`).join(', ');
  assert.ok(check.out.includes(`12 crates only in Cargo.lock, not in Cargo.nix: ${listed}, … (12 in all)`), check.out);
  assert.not.match(check.out, /unused_10|unused_11/);
  const commit = repo.commit('add used_c; cargo2nix left out the unused crates', { env: ONLY_NIX });
  assert.is(commit.code, 0, commit.out);
  assert.match(nixLine(commit.out), /⚠ +nix-sync/);
  assert.match(commit.out, /12 crates only in Cargo\.lock/);

  // Judged on its own (nothing staged) the legacy rule still cannot tell: exit 2, with the warning.
  const alone = repo.lg(['nix', 'check']);
  assert.is(alone.code, 2, alone.out);
  assert.match(alone.out, /cannot tell/);
  assert.match(alone.out, /warning: 12 crates only in Cargo\.lock/);
  const json = JSON.parse(repo.lg(['nix', 'check', '--json']).stdout);
  assert.is(json.verdict, 'undetermined');
  assert.is(json.warnings.length, 1);
});

test('legacy: a crate in Cargo.nix that is not in Cargo.lock still blocks', () => {
  repo.write('Cargo.nix', withNixEntries(repo.read('Cargo.nix'), [nixEntry('ghost', 7)]));
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  repo.git('add', '-A');
  const check = repo.lg(['nix', 'check']);
  assert.is(check.code, 1, check.out);
  assert.match(check.out, /only in Cargo\.nix \(1\): ghost 1\.0\.7/);
  const commit = repo.commit('a ghost crate', { env: ONLY_NIX });
  assert.is(commit.code, 1, commit.out);
  assert.match(nixLine(commit.out), /✖ +nix-sync/);
  repo.git('reset', '-q', '--hard', 'HEAD');
});

test('legacy: a Cargo.lock change without a Cargo.nix change still blocks, even when it only adds unused crates', () => {
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}${lockEntry('unused_new', 99)}`);
  const commit = repo.commit('lock only', { env: ONLY_NIX });
  assert.is(commit.code, 1, commit.out);
  assert.match(commit.out, /Cargo\.lock changed but Cargo\.nix did not/);
  repo.git('reset', '-q', '--hard', 'HEAD');
});

/** The lock and manifest of loom-server with extra dependencies, Cargo.nix regenerated with one more used crate. */
function serverNeeds({ deps, lockDeps, lockEntries }) {
  const server = 'crates/loom-server/Cargo.toml';
  repo.write(server, repo.read(server).replace('[dependencies]\n', `[dependencies]\n${deps}`));
  const lock = repo.read('Cargo.lock');
  const edges = 'dependencies = [\n "loom-common-core",\n]';
  assert.ok(lock.includes(edges));
  repo.write('Cargo.lock', `${lock.replace(edges, `dependencies = [\n "loom-common-core",\n${lockDeps.map((d) => ` "${d}",\n`).join('')}]`)}${lockEntries.join('')}${lockEntry('used_d', 4)}`);
  repo.write('Cargo.nix', withNixEntries(repo.read('Cargo.nix'), [nixEntry('used_d', 4)]));
  repo.git('add', '-A');
}

test('legacy: a crate a workspace member needs (direct or build dependency, not optional, an edge the lock records) missing from Cargo.nix blocks, naming it and the fix', () => {
  serverNeeds({
    deps: 'sha2 = "1.0.5"\n[build-dependencies]\nbindgen = { version = "1.0.8" }\n[dependencies.more]\nversion = "1"\n',
    lockDeps: ['sha2', 'bindgen', 'more'],
    lockEntries: [lockEntry('sha2', 5), lockEntry('bindgen', 8)],
  });
  const check = repo.lg(['nix', 'check']);
  assert.is(check.code, 1, check.out);
  assert.match(check.out, /Cargo\.nix lacks sha2 1\.0\.5, which loom-server needs \(crates\/loom-server\/Cargo\.toml \[dependencies\] sha2, not optional/);
  assert.match(check.out, /Cargo\.nix lacks bindgen 1\.0\.8, which loom-server needs \(crates\/loom-server\/Cargo\.toml \[build-dependencies\] bindgen/);
  assert.match(check.out, /fix: .*nix update, then git add Cargo\.nix/);
  const commit = repo.commit('sha2 and bindgen, Cargo.nix without them', { env: ONLY_NIX });
  assert.is(commit.code, 1, commit.out);
  assert.match(nixLine(commit.out), /✖ +nix-sync/);
  assert.match(commit.out, /Cargo\.nix lacks sha2 1\.0\.5/);
  repo.git('reset', '-q', '--hard', 'HEAD');
});

test('legacy: crates reached only as optional, dev or target-specific dependencies stay a warning', () => {
  serverNeeds({
    deps: 'extra = { version = "1.0.6", optional = true }\n[dev-dependencies]\ndevonly = "1.0.7"\n[target.\'cfg(windows)\'.dependencies]\nwinonly = "1.0.9"\n',
    lockDeps: ['extra', 'devonly', 'winonly'],
    lockEntries: [lockEntry('extra', 6), lockEntry('devonly', 7), lockEntry('winonly', 9)],
  });
  const check = repo.lg(['nix', 'check']);
  assert.is(check.code, 0, check.out);
  // The 12 unused crates of the first case, and these three: all warned about, none blocks.
  assert.match(check.out, /15 crates only in Cargo\.lock, not in Cargo\.nix: devonly 1\.0\.7, extra 1\.0\.6/);
  assert.not.match(check.out, /lacks/);
  const commit = repo.commit('optional crates cargo2nix left out', { env: ONLY_NIX });
  assert.is(commit.code, 0, commit.out);
  assert.match(nixLine(commit.out), /⚠ +nix-sync/);
  repo.git('reset', '-q', '--hard', 'HEAD~1');
});

// A real pair of the corpus (cargo2nix's own repository, before 0.12: no lock hash, crate sets
// equal), with 12 registry crates cut out of Cargo.nix as cargo2nix does for unused ones.
const PAIR = 'cargo2nix__cargo2nix@6e7f5fc';
const pairDir = [process.env.LOOM_GUARD_CORPUS && join(process.env.LOOM_GUARD_CORPUS, 'cargo2nix', PAIR), join(CORPUS, 'cargo2nix', PAIR), join(ROOT, 'test/fixtures', PAIR), join(ROOT, 'test/fixtures/cargo2nix', PAIR)]
  .filter(Boolean)
  .find((d) => existsSync(join(d, 'Cargo.nix')));

/** Cargo.nix without `count` registry crate entries (each from its key line to the next key). */
function dropCrates(nix, count) {
  const starts = [...nix.matchAll(/^[ \t]*"([^"\n]+)"\.("?)[A-Za-z0-9_][A-Za-z0-9_.+-]*\2\."[^"\n]+"[ \t]*=/gm)].map((m) => ({ at: m.index, registry: m[1].startsWith('registry+') }));
  const drop = starts
    .map((s, i) => ({ ...s, end: starts[i + 1]?.at }))
    .filter((s) => s.registry && s.end !== undefined)
    .slice(3, 3 + count);
  let out = nix;
  for (const { at, end } of drop.reverse()) out = out.slice(0, at) + out.slice(end);
  return out;
}

test(`corpus ${PAIR} with 12 crates dropped from Cargo.nix: a warning, never a block${pairDir ? '' : ' (corpus absent: skipped)'}`, () => {
  if (!pairDir) return;
  const lock = readFileSync(join(pairDir, 'Cargo.lock'));
  const full = readFileSync(join(pairDir, 'Cargo.nix'), 'utf8');
  const nix = dropCrates(full, 12);
  assert.is(parseCargoNixPackages(nix).length, parseCargoNixPackages(full).length - 12);
  const both = checkNixSync({ compare: true, lock: { old: null, new: lock }, nix: { old: null, new: nix }, manifests: [], resources: { old: [], new: [] } });
  assert.is(both.verdict, 'in-sync');
  assert.is(both.warnings.length, 1);
  assert.match(both.warnings[0], /^12 crates only in Cargo\.lock, not in Cargo\.nix: ([^,]+, ){10}… \(12 in all\)/);
  const lockOnly = checkNixSync({ compare: true, lock: { old: Buffer.from('# older\n'), new: lock }, nix: { old: nix, new: nix }, manifests: [], resources: { old: [], new: [] } });
  assert.is(lockOnly.verdict, 'out-of-sync');

  const pairRepo = Repo.init();
  try {
    pairRepo.write('Cargo.lock', lock);
    pairRepo.write('Cargo.nix', nix);
    pairRepo.git('add', '-A');
    const staged = pairRepo.lg(['nix', 'check']);
    assert.is(staged.code, 0, staged.out);
    assert.match(staged.out, /12 crates only in Cargo\.lock/);
  } finally {
    pairRepo.remove();
  }
});

// ---- nix update: the repository's own cargo2nix-update first -------------------------------------

// A workspace with a cargo2nix 0.12 Cargo.nix (lock hash), no config: the generator is found on PATH.
const { repo: ws } = await workspaceRepo({ crates: 2, install: false });

test("nix update runs the repository's cargo2nix-update from PATH before cargo2nix; doctor says so; config regenerate wins", () => {
  const bin = tempDir('loom-guard-bin-');
  symlinkSync(sh('sh', ['-c', 'command -v git']).stdout.trim(), join(bin, 'git'));
  const marker = join(bin, 'ran.txt');
  // The script Loom documents: regenerate Cargo.nix (here the fake cargo2nix) with the project's flags.
  writeFileSync(join(bin, 'cargo2nix-update'), `#!/bin/sh\necho "cargo2nix-update $LOOM_GUARD_NIX_UPDATE" >> '${marker}'\nexec '${process.execPath}' '${FAKE}' -o -l\n`);
  writeFileSync(join(bin, 'cargo2nix'), `#!/bin/sh\necho cargo2nix >> '${marker}'\nexit 9\n`);
  chmodSync(join(bin, 'cargo2nix-update'), 0o755);
  chmodSync(join(bin, 'cargo2nix'), 0o755);
  const env = { PATH: bin };

  ws.write('Cargo.lock', `${ws.read('Cargo.lock')}\n`);
  const r = ws.lg(['nix', 'update'], { env });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /regenerating Cargo\.nix: cargo2nix-update \(the repository's cargo2nix-update, on PATH\)/);
  assert.is(readFileSync(marker, 'utf8'), 'cargo2nix-update 1\n', 'cargo2nix-update ran (once, marked as nested), cargo2nix did not');
  assert.match(r.out, /Cargo\.nix regenerated and stamped/);
  ws.git('add', '-A');
  assert.is(ws.lg(['nix', 'check']).code, 0);

  const doctor = JSON.parse(ws.lg(['doctor', '--json'], { env }).stdout);
  assert.match(doctor.findings.find((f) => f.id === 'generator').message, /nix update runs cargo2nix-update \(the repository's cargo2nix-update, on PATH\)/);

  // Called from inside a cargo2nix-update (it may call loom-guard nix update itself): no loop.
  const nested = ws.lg(['nix', 'update'], { env: { ...env, LOOM_GUARD_NIX_UPDATE: '1' } });
  assert.match(nested.out, /regenerating Cargo\.nix: cargo2nix -o -l/);

  ws.write('.loom-guard.json', JSON.stringify({ regenerate: [process.execPath, FAKE, '-o', '-l'] }));
  writeFileSync(marker, '');
  const configured = ws.lg(['nix', 'update'], { env });
  assert.is(configured.code, 0, configured.out);
  assert.match(configured.out, /\(config "regenerate"\)/);
  assert.is(readFileSync(marker, 'utf8'), '');
});

test.after(() => {
  repo.remove();
  ws.remove();
});
test.run();
