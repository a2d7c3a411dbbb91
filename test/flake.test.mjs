// flake.nix: it parses, and its `outputs` function evaluates (nix-instantiate --eval --strict)
// against a stub of nixpkgs written here, which records the arguments given to buildNpmPackage,
// importNpmLock, mkShell and lib.fileset. A misspelt attribute path, a missing input or a wrong
// argument fails the evaluation or an assertion below, without Nix's store or network. Without
// nix-instantiate (inside `nix flake check`'s own sandbox) the file skips itself and says so.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sh, tempDir } from './helpers/repo.mjs';

const haveNix = sh('sh', ['-c', 'command -v nix-instantiate']).stdout.trim() !== '';
if (!haveNix) process.stdout.write('flake.test: nix-instantiate is not on PATH (apt-get install nix-bin): skipped\n');
const nixTest = haveNix ? test : test.skip;

const SYSTEMS = ['x86_64-linux', 'aarch64-linux', 'x86_64-darwin', 'aarch64-darwin'];
const nixString = (s) => JSON.stringify(s).replace(/\$\{/g, '\\${');

/** Only what the flake may use: anything else it touches is missing and fails the evaluation. */
const STUB = `
let
  flake = import (/. + ${nixString(join(ROOT, 'flake.nix'))});
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  systems = [ ${SYSTEMS.map((s) => `"${s}"`).join(' ')} ];
  stub = system: {
    lib = { licenses.mit = "license:mit"; };
    stdenv = { hostPlatform = { inherit system; }; isDarwin = builtins.match ".*-darwin" system != null; };
    nodejs_22 = "pkg:nodejs_22"; cargo = "pkg:cargo"; rustc = "pkg:rustc"; rustfmt = "pkg:rustfmt"; clippy = "pkg:clippy"; git = "pkg:git";
    buildNpmPackage = args: { call = "buildNpmPackage"; inherit args; outPath = "/nix/store/stub-loom-guard-\${system}"; };
    importNpmLock = { __functor = _: args: { call = "importNpmLock"; inherit args; }; npmConfigHook = "hook:importNpmLock.npmConfigHook"; };
    mkShell = args: { call = "mkShell"; inherit args; };
  };
  # lib.fileset as data: which files a source holds, so the test can name them.
  fileset = {
    unions = sets: { union = builtins.concatMap (s: if builtins.isAttrs s && s ? union then s.union else [ s ]) sets; };
    toSource = { root, fileset }: { call = "toSource"; inherit root; files = fileset.union; };
  };
  nixpkgs = { lib = { inherit genAttrs fileset; }; legacyPackages = genAttrs systems stub; };
  out = flake.outputs { self = out; inherit nixpkgs; };
  # Paths as strings (no store copy), functions named, outPath renamed (JSON would print an
  # attribute set that has one as that string alone, and never force its arguments).
  plain = v: if builtins.isPath v then "path:\${toString v}" else if builtins.isFunction v then "<function>"
    else if builtins.isAttrs v then builtins.mapAttrs (_: plain) (removeAttrs v [ "outPath" ]) // (if v ? outPath then { storePath = v.outPath; } else { })
    else if builtins.isList v then map plain v else v;
in plain { inherit (flake) description inputs; inherit (out) packages checks apps devShells; }
`;

function evaluate() {
  const dir = tempDir('loom-guard-flake-');
  try {
    writeFileSync(join(dir, 'stub.nix'), STUB);
    const r = sh('nix-instantiate', ['--eval', '--strict', '--json', join(dir, 'stub.nix')]);
    assert.is(r.code, 0, r.out);
    return JSON.parse(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The lock importNpmLock gets: package-lock.json, with every registry package fetchable (a
 * `resolved` URL and an `integrity` hash), the URL npm's own for the name and version.
 */
function checkLock(given) {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  assert.equal(Object.keys(given.packages).sort(), Object.keys(lock.packages).sort());
  for (const [path, module] of Object.entries(given.packages)) {
    if (path === '' || module.link) continue;
    assert.ok(module.integrity, `${path}: no integrity in package-lock.json`);
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.split('/').pop();
    assert.is(module.resolved, lock.packages[path].resolved ?? `https://registry.npmjs.org/${name}/-/${base}-${module.version}.tgz`, path);
  }
  // As `npm view @sqlite.org/sqlite-wasm@3.50.4-build1 dist.tarball` and `npm view kleur@4.1.5 dist.tarball` give them.
  const known = {
    'node_modules/@sqlite.org/sqlite-wasm': /^https:\/\/registry\.npmjs\.org\/@sqlite\.org\/sqlite-wasm\/-\/sqlite-wasm-[^/]+\.tgz$/,
    'node_modules/kleur': /^https:\/\/registry\.npmjs\.org\/kleur\/-\/kleur-[^/]+\.tgz$/,
  };
  for (const [path, url] of Object.entries(known)) assert.match(given.packages[path].resolved, url, path);
}

nixTest('flake.nix parses (nix-instantiate --parse)', () => {
  const r = sh('nix-instantiate', ['--parse', join(ROOT, 'flake.nix')]);
  assert.is(r.code, 0, r.out);
});

const SOURCE_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'src', 'hooks', 'migrations'];

nixTest('outputs evaluates against a stub nixpkgs: package from importNpmLock (no hash), app, dev shell, four systems', () => {
  const out = evaluate();
  const root = ROOT.replace(/\/$/, '');
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  assert.equal(out.inputs, { nixpkgs: { url: 'github:NixOS/nixpkgs/nixos-unstable' } });
  for (const section of ['packages', 'checks', 'apps', 'devShells']) assert.equal(Object.keys(out[section]).sort(), [...SYSTEMS].sort(), section);
  for (const system of SYSTEMS) {
    const pkg = out.packages[system].default;
    assert.is(pkg.call, 'buildNpmPackage', system);
    // Exactly these arguments: no npmDepsHash (nothing to refresh), no compiler inputs.
    assert.equal(Object.keys(pkg.args).sort(), ['meta', 'nodejs', 'npmBuildScript', 'npmConfigHook', 'npmDeps', 'pname', 'src', 'version']);
    assert.is(pkg.args.pname, 'loom-guard');
    assert.is(pkg.args.version, version);
    // The source is what the package is built from and nothing else: a README edit does not rebuild it.
    assert.equal(pkg.args.src, { call: 'toSource', root: `path:${root}`, files: SOURCE_FILES.map((f) => `path:${root}/${f}`) });
    assert.is(pkg.args.nodejs, 'pkg:nodejs_22');
    assert.equal(Object.keys(pkg.args.npmDeps.args).sort(), ['npmRoot', 'packageLock'], system);
    assert.is(pkg.args.npmDeps.call, 'importNpmLock');
    assert.is(pkg.args.npmDeps.args.npmRoot, `path:${root}`);
    checkLock(pkg.args.npmDeps.args.packageLock);
    assert.is(pkg.args.npmConfigHook, 'hook:importNpmLock.npmConfigHook');
    assert.is(pkg.args.npmBuildScript, 'build');
    assert.is(pkg.args.meta.mainProgram, 'loom-guard');
    assert.is(pkg.args.meta.license, 'license:mit');

    assert.equal(out.apps[system].default, { type: 'app', program: `/nix/store/stub-loom-guard-${system}/bin/loom-guard` });

    const shell = out.devShells[system].default;
    assert.is(shell.call, 'mkShell');
    assert.equal(shell.args.packages, ['pkg:nodejs_22', 'pkg:cargo', 'pkg:rustc', 'pkg:rustfmt', 'pkg:clippy', 'pkg:git']);
    assert.match(shell.args.shellHook, /loom-guard install/);
  }
});

nixTest('checks: nix flake check builds the package with the tests and runs them, offline, with git and cargo', () => {
  const out = evaluate();
  const root = ROOT.replace(/\/$/, '');
  for (const system of SYSTEMS) {
    const check = out.checks[system].default;
    const pkg = out.packages[system].default;
    assert.is(check.call, 'buildNpmPackage', system);
    assert.is(check.args.pname, 'loom-guard-tests');
    // The same build as the package (same deps, same Node), plus the tests.
    for (const key of ['nodejs', 'npmDeps', 'npmConfigHook', 'npmBuildScript', 'version']) assert.equal(check.args[key], pkg.args[key], key);
    assert.equal(check.args.src.files, [...SOURCE_FILES, 'test'].map((f) => `path:${root}/${f}`));
    assert.is(check.args.doCheck, true);
    assert.equal(check.args.nativeCheckInputs, ['pkg:git', 'pkg:cargo', 'pkg:rustc', 'pkg:rustfmt', 'pkg:clippy']);
    assert.match(check.args.checkPhase, /runHook preCheck[\s\S]*LOOM_GUARD_TEST_OFFLINE=1[\s\S]*node test\/run\.mjs[\s\S]*runHook postCheck/);
    assert.match(check.args.installPhase, /\$out/);
  }
});

nixTest('the stub catches a broken flake: a misspelt attribute path fails the evaluation', () => {
  const dir = tempDir('loom-guard-flake-broken-');
  try {
    const broken = readFileSync(join(ROOT, 'flake.nix'), 'utf8').replace('pkgs.importNpmLock.npmConfigHook', 'pkgs.importNpmLock.npmConfigHooks');
    assert.ok(broken.includes('npmConfigHooks'));
    writeFileSync(join(dir, 'flake.nix'), broken);
    writeFileSync(join(dir, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    writeFileSync(join(dir, 'stub.nix'), STUB.replace(nixString(join(ROOT, 'flake.nix')), nixString(join(dir, 'flake.nix'))));
    const r = sh('nix-instantiate', ['--eval', '--strict', '--json', join(dir, 'stub.nix')]);
    assert.is.not(r.code, 0);
    assert.match(r.stderr, /npmConfigHooks/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
