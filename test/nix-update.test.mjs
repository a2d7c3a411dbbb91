// `loom-guard nix update` when the generator fails: Cargo.nix is kept byte for byte (mode too),
// whether the generator exits non-zero after cutting Cargo.nix short, exits 0 with it cut short,
// or is interrupted; the report names the command, the exit code and its last lines, and a fix
// for that cause. Plus the whole-file rule on every corpus Cargo.nix and on generated cuts of them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, cleanEnv, CORPUS, ROOT, tempDir } from './helpers/repo.mjs';
import { nixStub } from './helpers/nix-stub.mjs';
import { rng } from './helpers/rng.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

const { cargoNixDamage } = await import(join(ROOT, 'dist/nix/integrity.js'));
const { repo } = await workspaceRepo({ crates: 2, install: false });
const base = repo.git('rev-parse', 'HEAD').trim();
const tools = tempDir('loom-guard-generators-');

/**
 * A generator that writes the first part of Cargo.nix, says so, and exits with `exit` (or waits
 * for a signal when `hang`): what a cargo2nix killed halfway leaves behind.
 */
function cuttingGenerator(name, { exit = 1, hang = false } = {}) {
  const file = join(tools, `${name}.mjs`);
  writeFileSync(
    file,
    `import { readFileSync, writeFileSync } from 'node:fs';
const text = readFileSync('Cargo.nix', 'utf8');
writeFileSync('Cargo.nix', text.slice(0, Math.floor(text.length / 2)));
console.error('cargo2nix: resolving 2 crates');
console.error('error: writing Cargo.nix: connection reset (simulated)');
${hang ? "writeFileSync(process.env.GEN_READY, 'x'); setInterval(() => {}, 1000);" : `process.exit(${exit});`}
`,
  );
  return [process.execPath, file];
}

function setUp(regenerate) {
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq');
  repo.write('.loom-guard.json', JSON.stringify({ regenerate }));
  // Cargo.lock changed: only a regenerated Cargo.nix can fix it, so nothing may be written.
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  chmodSync(join(repo.dir, 'Cargo.nix'), 0o640);
  return { bytes: readFileSync(join(repo.dir, 'Cargo.nix')), mode: statSync(join(repo.dir, 'Cargo.nix')).mode };
}

const unchanged = (before) => {
  assert.ok(readFileSync(join(repo.dir, 'Cargo.nix')).equals(before.bytes), 'Cargo.nix byte for byte');
  assert.is(statSync(join(repo.dir, 'Cargo.nix')).mode, before.mode, 'and its mode');
  assert.not.ok(existsSync(join(repo.dir, '.git/loom-guard/nix-update')), 'the copy aside is gone');
};

test('a generator that cuts Cargo.nix short and exits 1: Cargo.nix is put back byte for byte; the report says what happened', () => {
  const gen = cuttingGenerator('exit1');
  const before = setUp(gen);
  const r = repo.lg(['nix', 'update']);
  assert.is(r.code, 1, r.out);
  unchanged(before);
  assert.ok(r.out.includes(`the generator failed: ${gen.join(' ')} exited with 1; Cargo.nix is back as it was before, byte for byte. Its last lines:`), r.out);
  assert.match(r.out, /\n\s+cargo2nix: resolving 2 crates\n\s+error: writing Cargo\.nix: connection reset \(simulated\)/);
  assert.match(r.out, /is out of sync with Cargo\.lock .*Nothing was written: make the "regenerate" command of \.loom-guard\.json work \(run it by hand to see why: /);
  assert.not.match(r.out, /set "regenerate"/, 'regenerate is set: never suggested');
  assert.not.match(r.out, /Nothing was changed: install/);
});

test('a generator that exits 0 but leaves Cargo.nix cut short: put back too, saying why', () => {
  const gen = cuttingGenerator('exit0', { exit: 0 });
  const before = setUp(gen);
  const r = repo.lg(['nix', 'update']);
  assert.is(r.code, 1, r.out);
  unchanged(before);
  assert.match(r.out, /exited with 0, but (\d+ brackets? never closed|\d+ let without its in|a string is never closed): the file was cut short; Cargo\.nix is back as it was before, byte for byte/);
});

test('a generator that cannot start: the configured command is named, nothing changes', () => {
  const before = setUp(['/nonexistent/cargo2nix', '-o', '-l']);
  const r = repo.lg(['nix', 'update']);
  assert.is(r.code, 1, r.out);
  unchanged(before);
  assert.match(r.out, /\/nonexistent\/cargo2nix could not be started \(ENOENT\)/);
  assert.match(r.out, /"regenerate" in \.loom-guard\.json names \/nonexistent\/cargo2nix, which cannot be started here/);
});

test('Ctrl-C while the generator runs: it is stopped, Cargo.nix is put back byte for byte, and that is said', async () => {
  const ready = join(tools, 'ready');
  const before = setUp(cuttingGenerator('hang', { hang: true }));
  const child = spawn(process.execPath, [CLI, 'nix', 'update'], { cwd: repo.dir, env: cleanEnv({ GEN_READY: ready }), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  for (let i = 0; i < 600 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(ready), 'the generator started and cut Cargo.nix');
  assert.not.ok(readFileSync(join(repo.dir, 'Cargo.nix')).equals(before.bytes), 'it is cut now');
  child.kill('SIGINT');
  assert.is(await done, 130, out);
  unchanged(before);
  assert.match(out, /interrupted: Cargo\.nix is back as it was, byte for byte/);
});

test('nix run on a Nix with flakes off: the failure names the features line, Cargo.nix untouched', () => {
  repo.git('reset', '-q', '--hard', base);
  repo.git('clean', '-fdq');
  repo.write('Cargo.lock', `${repo.read('Cargo.lock')}\n`);
  const before = readFileSync(join(repo.dir, 'Cargo.nix'));
  const off = nixStub({ flakes: false });
  const r = repo.lg(['nix', 'update'], { env: { PATH: off.path() } });
  assert.is(r.code, 1, r.out);
  assert.ok(readFileSync(join(repo.dir, 'Cargo.nix')).equals(before));
  assert.match(r.out, /the generator failed: nix run github:cargo2nix\/cargo2nix\/release-0\.12 -- -o -l exited with 1; Cargo\.nix was not changed/);
  assert.match(r.out, /experimental Nix feature 'nix-command' is disabled/);
  assert.ok(r.out.includes(`Nothing was written: enable nix-command and flakes: add "experimental-features = nix-command flakes" to ~/.config/nix/nix.conf, or run it once as nix --extra-experimental-features 'nix-command flakes' run github:cargo2nix/cargo2nix/release-0.12 -- -o -l`), r.out);
  assert.not.match(r.out, /install cargo2nix 0\.12 \(nix profile install/, 'Nix is installed: not told to install it');
});

test('the whole-file rule: every corpus Cargo.nix is whole; every cut of one is caught (seeded)', () => {
  const next = rng(20261204);
  const pairs = readdirSync(join(CORPUS, 'cargo2nix'));
  let cuts = 0;
  for (const pair of pairs) {
    const file = join(CORPUS, 'cargo2nix', pair, 'Cargo.nix');
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    assert.is(cargoNixDamage(text), null, pair);
    for (let i = 0; i < 25; i++) {
      // Cut anywhere before the final closing brace (a cut after it leaves only whitespace off).
      const end = text.trimEnd().length - 1;
      const at = Math.floor(next() * end);
      assert.ok(cargoNixDamage(text.slice(0, at)), `${pair} cut at ${at} of ${text.length}`);
      cuts++;
    }
  }
  assert.ok(cuts >= 25 * 8, `${cuts} cuts`);
  // Found by the seeded cuts on the fixture corpus: brackets and let/in balance, the if has no else.
  assert.match(cargoNixDamage('args: let x = 1;\nin if !x then\n  throw'), /if without its else/);
  assert.match(cargoNixDamage('{ a = 1; }\n# the end -\n'), /not a cargo2nix file/, 'a trailing comment is not a cut');
  assert.match(cargoNixDamage(''), /empty/);
  assert.match(cargoNixDamage('{ }\n'), /not a cargo2nix file/);
});

test.after(() => repo.remove());
test.run();
