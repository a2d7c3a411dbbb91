import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Repo } from './helpers/repo.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

const doctor = (repo, env) => {
  const r = repo.lg(['doctor', '--json'], { env });
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
  const text = repo.lg(['doctor']);
  assert.is(text.code, 0);
  assert.match(text.stdout, /✔ pre-commit\s+pre-commit installed/);
});

test('hooks missing: ✖ and exit 1 with the fix', () => {
  repo.lg(['uninstall']);
  const r = doctor(repo);
  assert.is(r.code, 1);
  assert.is(r.find('pre-commit').status, 'error');
  assert.match(r.find('pre-commit').fix, /loom-guard install/);
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
  assert.match(r.find('lock-hash (index)').fix, /loom-guard nix update/);
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

test.after(() => repo.remove());
test.run();
