import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, sh, ROOT, cleanEnv, tempDir } from './helpers/repo.mjs';

/** Every `.node` file (a compiled addon) under a folder. */
const nativeAddons = (dir) => readdirSync(dir, { recursive: true }).filter((p) => String(p).endsWith('.node'));

// Inside `nix flake check` there is no npm registry (nor npm cache) to install the tarball from.
const offline = Boolean(process.env.LOOM_GUARD_TEST_OFFLINE);
if (offline) process.stdout.write('pack.test: LOOM_GUARD_TEST_OFFLINE is set: skipped (it installs from the npm cache)\n');

(offline ? test.skip : test)('npm pack yields a tarball that installs into another repository and commits through its hooks', () => {
  const packDir = tempDir('loom-guard-pack-');
  // --ignore-scripts: `prepare` would rebuild dist/ while the other worker's tests import it (a CI run
  // saw an empty dist/isolate/index.js: "withStagedTree is not a function"); `npm test` built it already.
  const packed = sh('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT });
  assert.is(packed.code, 0, packed.out);
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz')));

  const repo = Repo.init();
  repo.write('package.json', JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }, null, 2));
  repo.write('README.md', '# scratch\n');
  repo.write('.gitignore', 'node_modules/\n');
  repo.commitNoVerify('initial');
  // The npm cache already holds every dependency after `npm ci`.
  const installed = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--save-dev', tarball], { cwd: repo.dir });
  assert.is(installed.code, 0, installed.out);
  // Plain JavaScript and WASM: no native addon was built or shipped, so no compiler was needed.
  assert.equal(nativeAddons(join(repo.dir, 'node_modules')), []);

  const version = sh('npx', ['--no-install', 'loom-guard', '--version'], { cwd: repo.dir });
  assert.is(version.code, 0, version.out);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);

  const install = sh('npx', ['--no-install', 'loom-guard', 'install'], { cwd: repo.dir });
  assert.is(install.code, 0, install.out);
  assert.match(install.stdout, /pre-commit: installed/);

  // The shim finds ./node_modules/.bin/loom-guard first, even with nothing else on PATH.
  repo.write('README.md', '# scratch, edited\n');
  const commit = repo.commit('through the packed hooks', { env: { LOOM_GUARD_SKIP: 'clippy', PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` } });
  assert.is(commit.code, 0, commit.out);
  assert.match(commit.out, /skipped clippy/);
  assert.match(repo.git('log', '-1', '--format=%s'), /through the packed hooks/);
  repo.remove();
  rmSync(packDir, { recursive: true, force: true });
});

test.run();
