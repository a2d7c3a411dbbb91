import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dirname } from 'node:path';
import { CLI, ROOT, sh, cleanEnv } from './helpers/repo.mjs';

test('demo walks every scenario through real hooks, shows the blocks, exits 0', () => {
  const r = sh(process.execPath, [CLI, 'demo'], { env: cleanEnv() });
  assert.is(r.code, 0, r.out);
  assert.match(r.stdout, /9 of 9 scenarios behaved as expected/);
  assert.match(r.stdout, /Cargo.lock but Cargo.nix is not regenerated: blocked, as expected/);
  assert.match(r.stdout, /share the number 010: blocked, as expected/);
  assert.match(r.stdout, /clippy warning .* is blocked: blocked, as expected/);
  assert.match(r.stdout, /skipped clippy \(LOOM_GUARD_SKIP=clippy\)/);
  assert.match(r.stdout, /out of sync with Cargo.lock|nixifiedLockHash/);
  assert.match(r.stdout, /\(cached\)/);
  assert.not.match(r.stdout, /kept:/, 'the throwaway repository is removed');
  // Cut output says so and where to look; the end says it was deleted and how to install for real.
  assert.match(r.stdout, /│ … \d+ more lines? \(run loom-guard demo --keep to keep the repository and look\)/);
  assert.match(r.stdout, /the throwaway repository is deleted \(loom-guard demo --keep keeps it\)/);
  const end = r.stdout.trimEnd().split('\n').slice(-4);
  assert.equal(end, ['Next: the hooks in your own repository. From its root:', `  npm install --save-dev ${ROOT.replace(/\/$/, '')}`, '  npx loom-guard install', '  npx loom-guard doctor']);
});

test('demo without cargo runs the scenarios that need none and says so', () => {
  // PATH with git and node only: no cargo.
  const path = [dirname(process.execPath), '/usr/bin', '/bin'].filter((p) => !sh('sh', ['-c', 'command -v cargo'], { env: cleanEnv({ PATH: p }) }).stdout.trim()).join(':');
  const r = sh(process.execPath, [CLI, 'demo'], { env: cleanEnv({ PATH: path }) });
  assert.is(r.code, 0, r.out);
  assert.match(r.stdout, /cargo, rustfmt or clippy is not on PATH/);
  assert.match(r.stdout, /3 of 3 scenarios behaved as expected \(6 skipped: no cargo\)/);
});

test.run();
