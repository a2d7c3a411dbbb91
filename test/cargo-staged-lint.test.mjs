// The single pass (cargo build with clippy-driver as the workspace wrapper, `lint: "single-pass"`)
// must reach the same verdict as `cargo clippy -- -D warnings`: a mutation suite of clippy lints
// (and one rustc warning) in a library, a binary and a build script, in one generated workspace
// checked by each mode in one cargo run (--keep-going: every crate gets its verdict). Then the
// same through the real hook: a lint in a build script blocks a commit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { Repo, ROOT, sh, tempDir } from './helpers/repo.mjs';

const steps = await import(join(ROOT, 'dist/cargo/steps.js'));
const runner = await import(join(ROOT, 'dist/cargo/runner.js'));
const config = await import(join(ROOT, 'dist/config.js'));

/** Each mutation: a function `lint_fn` that trips exactly one lint, and a call of it. */
const MUTATIONS = {
  needless_return: ['fn lint_fn(x: u64) -> u64 {\n    return x + 1;\n}', 'lint_fn(1)'],
  let_and_return: ['fn lint_fn(x: u64) -> u64 {\n    let y = x + 1;\n    y\n}', 'lint_fn(1)'],
  len_zero: ['fn lint_fn(v: &[u64]) -> bool {\n    v.len() == 0\n}', 'lint_fn(&[1, 2])'],
  bool_comparison: ['fn lint_fn(b: bool) -> bool {\n    b == true\n}', 'lint_fn(false)'],
  manual_range_contains: ['fn lint_fn(x: u64) -> bool {\n    x >= 3 && x < 9\n}', 'lint_fn(4)'],
  eq_op: ['fn lint_fn(x: u64) -> bool {\n    x == x\n}', 'lint_fn(4)'],
  approx_constant: ['fn lint_fn() -> f64 {\n    3.14159\n}', 'lint_fn()'],
  needless_range_loop: ['fn lint_fn(v: &[u64]) -> u64 {\n    let mut s = 0;\n    for i in 0..v.len() {\n        s += v[i];\n    }\n    s\n}', 'lint_fn(&[1, 2])'],
  unnecessary_cast: ['fn lint_fn(x: u64) -> u64 {\n    x as u64\n}', 'lint_fn(1)'],
  clone_on_copy: ['fn lint_fn(x: u64) -> u64 {\n    x.clone()\n}', 'lint_fn(1)'],
  toplevel_ref_arg: ['fn lint_fn() -> u64 {\n    let ref x = 5u64;\n    *x\n}', 'lint_fn()'],
  identity_op: ['fn lint_fn(x: u64) -> u64 {\n    x + 0\n}', 'lint_fn(1)'],
  redundant_static_lifetimes: ["const S: &'static str = \"x\";\nfn lint_fn() -> usize {\n    S.len()\n}", 'lint_fn()'],
  unused_variables: ['fn lint_fn() -> u64 {\n    let unused = 1;\n    2\n}', 'lint_fn()'],
};
const LINTS = Object.keys(MUTATIONS);
const PLACES = ['lib', 'bin', 'build'];
const crateName = (lint, place) => `m-${lint.replace(/_/g, '-')}-${place}`;
const expectedCode = (lint) => (lint === 'unused_variables' ? lint : `clippy::${lint}`);

const manifest = (name, build) => `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n${build ? 'build = "build.rs"\n' : ''}`;
const main = (code, call) => `${code}\n\nfn main() {\n    println!("{:?}", ${call});\n}\n`;

/** A crate with one mutation in one place; the other places are clean. */
function crateFiles(name, place, [code, call]) {
  const dir = `crates/${name}`;
  const files = { [`${dir}/Cargo.toml`]: manifest(name, place === 'build') };
  if (place === 'lib') files[`${dir}/src/lib.rs`] = code.replace(/^fn lint_fn/m, 'pub fn lint_fn');
  if (place === 'bin') files[`${dir}/src/main.rs`] = main(code, call);
  if (place === 'build') {
    files[`${dir}/build.rs`] = main(code, call);
    files[`${dir}/src/lib.rs`] = 'pub fn ok() -> u64 {\n    1\n}\n';
  }
  return files;
}

const repo = Repo.init();
const files = {
  'Cargo.toml': '[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n\n[profile.dev-fast]\ninherits = "dev"\ndebug = 0\n',
  '.gitignore': 'target\n',
  // A clean crate with all three places: passes in both modes.
  'crates/clean/Cargo.toml': manifest('clean', true),
  'crates/clean/src/lib.rs': 'pub fn ok() -> u64 {\n    1\n}\n',
  'crates/clean/src/main.rs': 'fn main() {\n    println!("{}", clean::ok());\n}\n',
  'crates/clean/build.rs': 'fn main() {\n    println!("cargo:rerun-if-changed=build.rs");\n}\n',
};
for (const lint of LINTS) for (const place of PLACES) Object.assign(files, crateFiles(crateName(lint, place), place, MUTATIONS[lint]));
repo.writeAll(files);
const target = join(tempDir('loom-guard-lint-target-'), 'target');
const ENV = { CARGO_TARGET_DIR: target };

/** Every diagnostic of a JSON-message cargo run, as `<crate>:<target kind>:<lint>`, and the crates that failed. */
function verdicts(stdout) {
  const found = new Set();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const msg = JSON.parse(line);
    if (msg.reason !== 'compiler-message' || !msg.message.code) continue;
    // path+file:///…/crates/<dir>#<name>@0.1.0, or …/crates/<name>#0.1.0 when the two agree.
    const id = /\/([^/#]+)#(?:([^@]+)@)?/.exec(msg.package_id);
    const name = id?.[2] ?? id?.[1] ?? msg.package_id;
    found.add(`${name}:${msg.target.kind.join(',')}:${msg.message.code.code}:${msg.message.level}`);
  }
  return found;
}

test('single pass and cargo clippy -D warnings: the same findings on every mutation, in lib, bin and build.rs', async () => {
  const cfg = config.parseConfig({}, 'test');
  const json = ['--keep-going', '--message-format=json'];
  const env = { ...process.env, ...ENV };
  const clippy = sh('cargo', ['clippy', '--workspace', '--profile', 'dev-fast', ...json, '--', '-D', 'warnings'], { cwd: repo.dir, env });
  const driver = await runner.clippyDriver(repo.dir, env);
  assert.ok(driver, 'clippy-driver found in the toolchain');
  const pass = steps.singlePassArgs({ workspace: true, crates: [] }, 'dev-fast', cfg, driver);
  const single = sh('cargo', [...pass.args, ...json], { cwd: repo.dir, env: { ...env, ...pass.env } });
  assert.is.not(clippy.code, 0);
  assert.is.not(single.code, 0);
  const a = verdicts(clippy.stdout);
  const b = verdicts(single.stdout);
  for (const lint of LINTS) {
    for (const place of PLACES) {
      const kind = { lib: 'lib', bin: 'bin', build: 'custom-build' }[place];
      const key = `${crateName(lint, place)}:${kind}:${expectedCode(lint)}:error`;
      assert.ok(a.has(key), `cargo clippy reports ${key}`);
      assert.ok(b.has(key), `the single pass reports ${key}`);
    }
  }
  assert.equal([...b].sort(), [...a].sort(), 'the same diagnostics, no more, no fewer');
  assert.not.ok([...a].some((k) => k.startsWith('clean:')), 'the clean crate passes');
  // The single pass also built: the clean crate's binary exists.
  assert.ok(sh('test', ['-x', join(target, 'dev-fast/clean')]).code === 0, 'clean binary built');
});

test('through the hook: a lint in a build script blocks the commit, clippy\'s output shown', () => {
  // The single pass is no longer the default (`parallel` is): this repository asks for it.
  repo.write('.loom-guard.json', '{ "lint": "single-pass" }\n');
  repo.git('add', 'Cargo.toml', '.gitignore', 'crates/clean', '.loom-guard.json');
  repo.git('commit', '-q', '--no-verify', '-m', 'clean crate');
  repo.git('clean', '-fdq');
  repo.install();
  repo.write('crates/clean/build.rs', main(...MUTATIONS.needless_return));
  repo.git('add', 'crates/clean/build.rs');
  const r = repo.tryGit(['commit', '-q', '-m', 'lint in build.rs'], { env: ENV });
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /✖ +clippy +1 crate \(clean\)/);
  assert.match(r.out, /needless_return|unneeded `return`/);
  assert.match(r.out, /build +not run: clippy failed/);
  // Fixed: the commit goes through, clippy and build in one pass.
  repo.write('crates/clean/build.rs', 'fn main() {\n    println!("cargo:rerun-if-changed=build.rs");\n    println!("cargo:rustc-env=LINT_OK=1");\n}\n');
  repo.git('add', 'crates/clean/build.rs');
  const ok = repo.tryGit(['commit', '-m', 'clean build.rs'], { env: ENV });
  assert.is(ok.code, 0, ok.out);
  assert.match(ok.out, /✔ +build +1 crate \(clean\), in the same pass/, ok.out);
});

test.after(() => {
  repo.remove();
  sh('rm', ['-rf', join(target, '..')]);
});

test.run();
