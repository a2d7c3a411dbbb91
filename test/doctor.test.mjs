import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LG, Repo, ROOT, sh } from './helpers/repo.mjs';
import { nixStub } from './helpers/nix-stub.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

// A Nix with flakes on is first on PATH: the generator (nix run of cargo2nix) can work here.
const flakesOn = nixStub({ flakes: true });
const doctor = (repo, env) => {
  const r = repo.lg(['doctor', '--json'], { env: { PATH: flakesOn.path(), ...env } });
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`doctor --json printed invalid JSON: ${r.out}`);
  }
  return { ...r, json, find: (id) => json.findings.find((f) => f.id === id) };
};

const { repo } = await workspaceRepo({ crates: 3 });

test('a healthy repository: exit 0, valid JSON, every finding ok or warning', () => {
  const r = doctor(repo);
  assert.is(r.code, 0, r.out);
  assert.is(r.json.ok, true);
  for (const f of r.json.findings) {
    assert.ok(['ok', 'warn'].includes(f.status), `${f.id}: ${f.message}`);
    if (f.status !== 'ok') assert.ok(f.fix, `${f.id} has a fix`);
  }
  for (const id of ['git', 'node', 'pre-commit', 'pre-push', 'skip', 'config', 'cargo', 'rustfmt', 'clippy', 'profile', 'cargo-nix', 'stamp', 'migrations', 'protected-ref']) {
    assert.ok(r.find(id), `finding ${id}`);
  }
  assert.match(r.find('lock-hash (index)').message, /matches Cargo.lock/);
  assert.match(r.find('stamp').message, /matches 10 embedded files/);
  const text = repo.lg(['doctor'], { env: { PATH: flakesOn.path() } });
  assert.is(text.code, 0);
  assert.match(text.stdout, /✔ pre-commit\s+pre-commit installed/);
});

test('hooks missing: ✖ and exit 1 with the fix', () => {
  repo.lg(['uninstall']);
  const r = doctor(repo);
  assert.is(r.code, 1);
  assert.is(r.find('pre-commit').status, 'error');
  assert.is(r.find('pre-commit').fix, `${LG} install`);
  repo.install();
});

test('a foreign hook in place of ours is ✖; one we chained is ok and mentioned', () => {
  const hook = join(repo.dir, '.git/hooks/pre-push');
  const ours = readFileSync(hook);
  writeFileSync(hook, '#!/bin/sh\nexit 0\n');
  let r = doctor(repo);
  assert.is(r.code, 1);
  assert.match(r.find('pre-push').message, /not written by loom-guard/);
  repo.install();
  r = doctor(repo);
  assert.is(r.code, 0, r.out);
  assert.match(r.find('pre-push').message, /runs your previous hook/);
  repo.lg(['uninstall']);
  writeFileSync(hook, ours);
  chmodSync(hook, 0o755);
  rmSync(hook);
  repo.install();
});

test('LOOM_GUARD_SKIP exported: "your hooks are off" is ✖; a partial skip is ⚠', () => {
  let r = doctor(repo, { LOOM_GUARD_SKIP: '1' });
  assert.is(r.code, 1);
  assert.match(r.find('skip').message, /your hooks are off/);
  r = doctor(repo, { LOOM_GUARD_SKIP: 'clippy' });
  assert.is(r.code, 0);
  assert.is(r.find('skip').status, 'warn');
  r = doctor(repo, { SKIP_SIMPLE_GIT_HOOKS: '1' });
  assert.is(r.find('skip').status, 'error');
});

test('Cargo.lock drift: staged is ✖ with both hashes, unstaged is ⚠', () => {
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  let r = doctor(repo);
  assert.is(r.find('lock-hash (working tree)').status, 'warn');
  assert.is(r.find('lock-hash (index)').status, 'ok');
  repo.git('add', 'Cargo.lock');
  r = doctor(repo);
  assert.is(r.code, 1);
  assert.match(r.find('lock-hash (index)').message, /Cargo.nix [0-9a-f]{64} is out of sync with Cargo.lock [0-9a-f]{64}/);
  assert.is(r.find('lock-hash (index)').fix, `${LG} nix update, then git add Cargo.nix`);
  repo.git('reset', '-q', '--hard');
});

test('a stale resources stamp is ✖; no stamp is ⚠', () => {
  const nix = repo.read('Cargo.nix');
  repo.write('Cargo.nix', nix.replace(/sha256=[0-9a-f]{64}/, `sha256=${'0'.repeat(64)}`));
  repo.git('add', 'Cargo.nix');
  let r = doctor(repo);
  assert.is(r.code, 1);
  assert.match(r.find('stamp').message, /stale/);
  repo.write('Cargo.nix', nix.replace(/^# loom-guard resources-stamp:.*\n/m, ''));
  repo.git('add', 'Cargo.nix');
  r = doctor(repo);
  assert.is(r.find('stamp').status, 'warn');
  repo.git('reset', '-q', '--hard');
});

test('no Cargo.nix: the check is inactive, said once, not an error', () => {
  const plain = Repo.init();
  plain.write('README.md', '# plain\n');
  plain.commitNoVerify('initial');
  plain.install();
  const r = doctor(plain);
  assert.is(r.code, 0, r.out);
  assert.match(r.find('cargo-nix').message, /no Cargo.nix: the nix-sync check is inactive/);
  plain.remove();
});

test('an invalid config is ✖ naming the key', () => {
  repo.write('.loom-guard.json', JSON.stringify({ replay: 'sometimes' }));
  const r = doctor(repo);
  assert.is(r.code, 1);
  assert.match(r.find('config').message, /"replay" must be/);
  rmSync(join(repo.dir, '.loom-guard.json'));
});

test('a Nix with nix-command and flakes off: the generator is ✖, with the line that switches them on', () => {
  const flakesOff = nixStub({ flakes: false });
  const nixes = [['stub', flakesOff.path()]];
  // Debian's nix-bin (Nix 2.8, no `nix config`, flakes off by default) where it is installed.
  const real = sh('sh', ['-c', 'command -v nix']).stdout.trim();
  if (real && sh('nix', ['show-config']).code !== 0) nixes.push(['real', process.env.PATH]);
  for (const [which, path] of nixes) {
    const r = doctor(repo, { PATH: path });
    assert.is(r.code, 1, `${which}: ${r.out}`);
    const g = r.find('generator');
    assert.is(g.status, 'error', which);
    assert.match(g.message, /nix run github:cargo2nix\/cargo2nix\/release-0\.12 -- -o -l .* has nix-command and flakes switched off: nix run fails/, which);
    assert.ok(g.fix.includes(`nix --extra-experimental-features 'nix-command flakes' run github:cargo2nix/cargo2nix/release-0.12 -- -o -l`), `${which}: ${g.fix}`);
    assert.match(g.fix, /experimental-features = nix-command flakes/);
  }
  // With them on, the same generator is fine and doctor says why.
  const on = doctor(repo);
  assert.is(on.find('generator').status, 'ok');
  assert.match(on.find('generator').message, /has nix-command and flakes on/);
});

test('a hook that cannot find loom-guard says how to install it with commands that work today', () => {
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  const shim = readFileSync(hook, 'utf8');
  writeFileSync(hook, shim.replace(/^recorded_cli='.*'$/m, "recorded_cli='/nonexistent/cli.js'"));
  const r = doctor(repo);
  assert.is(r.code, 1);
  const f = r.find('pre-commit');
  assert.is(f.status, 'error');
  assert.ok(f.fix.startsWith(`${LG} install (records this loom-guard`), f.fix);
  assert.ok(f.fix.includes(`npm install --save-dev ${ROOT.replace(/\/$/, '')}, then npx loom-guard install`), f.fix);
  assert.not.match(f.fix, /npm install --save-dev loom-guard\b/, 'never the registry name: it is not published');
  repo.install();
});

test('the text report: one column for ids however long, "1 warning", long lines wrap under their column', async () => {
  const { formatFindings, doctorSummary } = await import(join(ROOT, 'dist/commands/doctor.js'));
  const findings = [
    { id: 'git', status: 'ok', message: 'git version 2.39.5' },
    { id: 'lock-hash (working tree)', status: 'warn', message: 'Cargo.nix 1111 is out of sync with Cargo.lock 2222 (not staged yet) and this sentence goes on for a while', fix: 'loom-guard nix update, then git add Cargo.nix' },
  ];
  const plain = formatFindings(findings, undefined).split('\n');
  assert.is(plain[0], `✔ ${'git'.padEnd('lock-hash (working tree)'.length)} git version 2.39.5`);
  assert.ok(plain[1].startsWith('⚠ lock-hash (working tree) Cargo.nix 1111'), plain[1]);
  const column = plain[1].indexOf('Cargo.nix');
  assert.is(plain[0].indexOf('git version'), column, 'messages start in one column');
  assert.is(plain[2], `${' '.repeat(column)}fix: ${LG} nix update, then git add Cargo.nix`);
  const wrapped = formatFindings(findings, 60).split('\n').filter(Boolean);
  assert.ok(wrapped.length > 3, wrapped.join('\n'));
  for (const line of wrapped) assert.ok(line.length <= 60 || !line.trim().includes(' '), `fits: ${line}`);
  for (const line of wrapped.slice(2)) assert.ok(line.startsWith(' '.repeat(column)), `keeps its indent: "${line}"`);
  assert.is(doctorSummary(findings), '1 ok, 1 warning, 0 errors');
  assert.is(doctorSummary([...findings, findings[1], { id: 'x', status: 'error', message: 'm', fix: 'f' }]), '1 ok, 2 warnings, 1 error');
});

test('a mistyped id in LOOM_GUARD_SKIP: doctor says which id was meant', () => {
  const r = doctor(repo, { LOOM_GUARD_SKIP: 'tests' });
  assert.match(r.find('skip').message, /unknown ids tests \(did you mean "test"\?\)/);
});

test.after(() => repo.remove());
test.run();
