import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sh } from './helpers/repo.mjs';

test('flake.nix parses (nix-instantiate --parse)', () => {
  const r = sh('nix-instantiate', ['--parse', join(ROOT, 'flake.nix')]);
  assert.is(r.code, 0, r.out);
});

test('flake.nix declares package, app and dev shell for the four systems', () => {
  const text = readFileSync(join(ROOT, 'flake.nix'), 'utf8');
  for (const system of ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin']) assert.ok(text.includes(`"${system}"`), system);
  for (const part of ['packages =', 'buildNpmPackage', 'apps =', 'devShells =', 'shellHook', 'npmDepsHash', 'pkgs.clippy', 'pkgs.rustfmt']) {
    assert.ok(text.includes(part), part);
  }
});

test.run();
