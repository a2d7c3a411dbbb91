import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Repo, sh, CLI, cleanEnv } from './helpers/repo.mjs';

const lg = (args, opts = {}) => sh(process.execPath, [CLI, ...args], { env: cleanEnv(opts.env), cwd: opts.cwd });

test('--version prints the package version', () => {
  const r = lg(['--version']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help lists every command of PRODUCT.md', () => {
  const r = lg(['--help']);
  assert.is(r.code, 0);
  for (const c of ['install', 'uninstall', 'pre-commit', 'pre-push', 'check', 'doctor', 'nix check', 'nix update', 'migrations check', 'migrations new', 'demo']) {
    assert.ok(r.stdout.includes(`  ${c} `), `help lists ${c}`);
  }
});

test('every command has --help with exit 0', () => {
  for (const c of [['install'], ['uninstall'], ['pre-commit'], ['pre-push'], ['check'], ['doctor'], ['nix', 'check'], ['nix', 'update'], ['migrations', 'check'], ['migrations', 'new'], ['demo'], ['nix'], ['migrations']]) {
    const r = lg([...c, '--help']);
    assert.is(r.code, 0, c.join(' '));
    assert.match(r.stdout, /Usage: loom-guard/);
  }
});

test('an unknown command is one line and exit 2', () => {
  const r = lg(['frobnicate']);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command "frobnicate"/);
});

test('an unknown flag is one line and exit 2', () => {
  const r = lg(['check', '--frob']);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown option --frob/);
  const sub = lg(['nix', 'frob']);
  assert.is(sub.code, 2);
  assert.match(sub.stderr, /unknown subcommand "frob"/);
});

test('outside a git repository: one clear line, exit 2, no stack trace', () => {
  const r = lg(['pre-commit'], { cwd: '/' });
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
});

test.run();
