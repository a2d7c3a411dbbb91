// Every `fix:` line can be pasted where it is printed: after a devDependency install loom-guard is
// in node_modules/.bin but not on the user's PATH (the hook finds it, the shell does not), so the
// line says `npx loom-guard …`; with loom-guard on PATH it says `loom-guard …`; `npm run`/`npx`
// put node_modules/.bin on PATH only for their child, which must not fool it. Each printed line is
// then run as printed, in a shell, to prove it starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CLI, sh, cleanEnv, tempDir } from './helpers/repo.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

const { repo } = await workspaceRepo({ crates: 2, install: false });
// What `npm install --save-dev` leaves: the bin link in node_modules/.bin (node_modules ignored).
mkdirSync(join(repo.dir, 'node_modules/.bin'), { recursive: true });
symlinkSync(CLI, join(repo.dir, 'node_modules/.bin/loom-guard'));
repo.write('.gitignore', 'node_modules/\n');
repo.commitNoVerify('ignore node_modules');
repo.install();
const ONLY_NIX = { LOOM_GUARD_SKIP: 'fmt,clippy,build,lint-staged,migrations' };
const onPath = tempDir('loom-guard-bin-');
symlinkSync(CLI, join(onPath, 'loom-guard'));

/** A Cargo.lock change without Cargo.nix: nix-sync blocks it with a fix line. */
function drift() {
  repo.git('reset', '-q', '--hard');
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  repo.git('add', 'Cargo.lock');
}

const fixLine = (out) => /^\s+fix: (.*)$/m.exec(out)?.[1] ?? '';

/** Runs the command part of a fix line (before ", then …") in a shell, as a person would paste it. */
function paste(fix, path) {
  const command = fix.split(', then ')[0];
  return sh('sh', ['-c', `${command} --help`], { cwd: repo.dir, env: cleanEnv({ PATH: path }) });
}

test('devDependency install, loom-guard not on PATH: the hook says npx loom-guard …, and that runs', () => {
  drift();
  const c = repo.tryGit(['commit', '-q', '-m', 'drift'], { env: ONLY_NIX });
  assert.is(c.code, 1, c.out);
  assert.is(fixLine(c.out), 'npx loom-guard nix update, then git add Cargo.nix');
  const r = paste(fixLine(c.out), process.env.PATH);
  assert.is(r.code, 0, r.out);
  assert.match(r.stdout, /Usage: loom-guard nix update/);
});

test('npm run / npx put node_modules/.bin on PATH for their child only: still npx loom-guard', () => {
  drift();
  const r = repo.lg(['check', 'nix-sync'], { env: { PATH: `${join(repo.dir, 'node_modules/.bin')}${delimiter}${process.env.PATH}` } });
  assert.is(r.code, 1, r.out);
  assert.is(fixLine(r.out), 'npx loom-guard nix update, then git add Cargo.nix');
});

test('loom-guard on PATH: the plain name, and that runs', () => {
  drift();
  const path = `${onPath}${delimiter}${process.env.PATH}`;
  const c = repo.tryGit(['commit', '-q', '-m', 'drift'], { env: { ...ONLY_NIX, PATH: path } });
  assert.is(c.code, 1, c.out);
  assert.is(fixLine(c.out), 'loom-guard nix update, then git add Cargo.nix');
  const r = paste(fixLine(c.out), path);
  assert.is(r.code, 0, r.out);
});

test('neither: the CLI that ran, and that runs too; doctor and --json say the same', () => {
  drift();
  const away = tempDir('loom-guard-elsewhere-');
  sh('cp', ['-a', `${repo.dir}/.`, away]);
  sh('rm', ['-rf', join(away, 'node_modules')]);
  const r = sh(process.execPath, [CLI, 'check', 'nix-sync', '--json'], { cwd: away, env: cleanEnv() });
  assert.is(r.code, 1, r.out);
  const fix = JSON.parse(r.stdout).results[0].fix;
  assert.is(fix, `node ${CLI} nix update, then git add Cargo.nix`);
  assert.is(sh('sh', ['-c', `${fix.split(', then ')[0]} --help`], { cwd: away, env: cleanEnv() }).code, 0);
  const doctor = JSON.parse(sh(process.execPath, [CLI, 'doctor', '--json'], { cwd: away, env: cleanEnv() }).stdout);
  assert.is(doctor.findings.find((f) => f.id === 'lock-hash (index)').fix, `node ${CLI} nix update, then git add Cargo.nix`);
  sh('rm', ['-rf', away]);
});

test.after(() => {
  repo.remove();
  sh('rm', ['-rf', onPath]);
});
test.run();
