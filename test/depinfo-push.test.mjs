// Pre-push follows cargo's dep-info: a change to a file in crate b's folder that crate a reads
// (include_str!, include!, a build script's rerun-if-changed) tests a and blocks; a change no unit
// reads (README) keeps the verdict; the check runs in the working tree beside node_modules/, .env
// and an untracked notes file, unless the build read one of them. Real git push, real cargo.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sh, tempDir } from './helpers/repo.mjs';
import { BAD_TEST, crossRepo } from './helpers/crossWorkspace.mjs';

// A cargo on PATH that logs each call, then runs the real one: proves which commands ran.
const realCargo = sh('sh', ['-c', 'command -v cargo']).stdout.trim();
const shimDir = tempDir('loom-guard-cargo-shim-');
const cargoLog = join(shimDir, 'calls.log');
writeFileSync(join(shimDir, 'cargo'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${cargoLog}'\nexec '${realCargo}' "$@"\n`);
chmodSync(join(shimDir, 'cargo'), 0o755);
const ENV = { PATH: `${shimDir}:${process.env.PATH}` };
const calls = () => (existsSync(cargoLog) ? readFileSync(cargoLog, 'utf8').trim().split('\n').filter(Boolean) : []);
const clearCalls = () => rmSync(cargoLog, { force: true });

const repo = crossRepo();
repo.write('.gitignore', '/target\nnode_modules/\n.env\n/local/\n');
repo.commitNoVerify('ignore what people keep around');
repo.install();
// What a repository has as people have it: loom-guard as a devDependency, secrets, notes.
repo.write('node_modules/loom-guard/package.json', '{ "name": "loom-guard" }\n');
repo.write('.env', 'TOKEN=local\n');
repo.write('notes.md', 'todo\n');
const remote = tempDir('loom-guard-remote-');
sh('git', ['init', '-q', '--bare', remote]);
repo.git('remote', 'add', 'origin', remote);
const push = () => repo.tryGit(['push', 'origin', 'main'], { env: ENV });
const remoteHead = () => sh('git', ['rev-parse', 'refs/heads/main'], { cwd: remote }).stdout.trim();
const short = (rev) => repo.git('rev-parse', '--short=7', rev).trim();

test('first push: in the working tree beside node_modules/, .env and an untracked notes.md, which no unit read', () => {
  const r = push();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /in the working tree \(it is that commit, tracked files clean; 3 untracked or ignored entries to be proven unread by the build\)/);
  assert.not.match(r.out, /private checkout/);
  assert.match(r.out, /✔\s+test\s+workspace/);
  assert.is(remoteHead(), repo.git('rev-parse', 'main').trim());
});

test('a README-only push keeps the verdict for the cargo steps: no cargo build or test runs', () => {
  const base = short('main');
  repo.write('README.md', '# cross\n');
  repo.commitNoVerify('readme');
  clearCalls();
  const r = push();
  assert.is(r.code, 0, r.out);
  for (const step of ['fmt', 'clippy', 'build', 'test']) assert.match(r.out, new RegExp(`✔\\s+${step}\\s+no crate reads the changes since ${base}: its verdict stands`));
  assert.not.ok(calls().some((c) => /^(build|test|clippy|fmt)\b/.test(c)), calls().join('\n'));
  assert.is(remoteHead(), repo.git('rev-parse', 'main').trim());
});

for (const [file, bad] of Object.entries(BAD_TEST)) {
  test(`a bad ${file} alone: a, which reads it, is built and tested, the push is refused and nothing is cached`, () => {
    const base = short('main');
    repo.write(file, bad);
    repo.commitNoVerify(`change ${file}`);
    try {
      clearCalls();
      const r = push();
      assert.is(r.code, 1, r.out);
      assert.match(r.out, new RegExp(`2 crates \\(a, b\\) affected since ${base}`));
      assert.match(r.out, file.endsWith('.sql') ? /schema\.sql drops a table/ : /reads\.rs|assertion/);
      assert.not.ok(calls().some((c) => /--workspace|-p c\b/.test(c)), calls().join('\n'));
      assert.is.not(remoteHead(), repo.git('rev-parse', 'main').trim());
      // Once is enough to show the bad tree is not remembered as passed (keeps the file fast).
      if (!file.endsWith('data.txt')) return;
      const again = push();
      assert.is(again.code, 1, again.out);
      // What passed is remembered; the failing step runs again (its line names the cargo command), never taken as passed.
      assert.match(again.out, /✖\s+(test|clippy)\s+cargo/);
    } finally {
      repo.git('reset', '-q', '--hard', 'HEAD~1');
    }
  });
}

test('an ignored file that a build script reads: the run in place does not count, the private checkout decides', () => {
  const build = 'crates/a/build.rs';
  repo.write(build, repo.read(build).replace('fn main() {\n', 'fn main() {\n    println!("cargo:rerun-if-changed=../../local/key.txt");\n    let _ = std::fs::read_to_string("../../local/key.txt");\n'));
  repo.commitNoVerify('a reads a local key when there is one');
  repo.write('local/key.txt', 'secret\n');
  const r = push();
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /not in place: the ignored local\/ is in no fresh clone, and a \(crates\/a\/build\.rs run\) read local\/key\.txt \(the run in the working tree does not count\)/);
  assert.match(r.out, /private checkout/);
  assert.is(remoteHead(), repo.git('rev-parse', 'main').trim());
});

test.after(() => {
  repo.remove();
  rmSync(remote, { recursive: true, force: true });
  rmSync(shimDir, { recursive: true, force: true });
});

test.run();
