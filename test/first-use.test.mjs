// What a new user meets first: `loom-guard doctor` (and --version, --help) answer without loading
// SQLite at all; `migrations check` is what loads it. Proven by recording every module the process
// resolves (test/helpers/trace-imports.mjs), in a Loom-shaped repository with migrations.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLI, cleanEnv, LG, ROOT, sh, tempDir } from './helpers/repo.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

const TRACE = join(ROOT, 'test/helpers/trace-imports.mjs');
const { availableEngines } = await import(join(ROOT, 'dist/sqlite/engine.js'));
const { repo } = await workspaceRepo({ crates: 2, install: false });
const logs = tempDir('loom-guard-trace-');

/** Runs the CLI with the tracer; returns the run and the module URLs it resolved. */
function traced(args, name) {
  const log = join(logs, `${name}.log`);
  const r = sh(process.execPath, ['--import', TRACE, CLI, ...args], { cwd: repo.dir, env: cleanEnv({ LOOM_GUARD_TRACE_IMPORTS: log }) });
  let modules = [];
  try {
    modules = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    // nothing resolved
  }
  return { r, modules };
}
const sqlite = (modules) => modules.filter((u) => /sqlite|\/dist\/sqlite\//.test(u));

test('doctor, --version and --help load no SQLite engine', () => {
  for (const [name, args] of [['doctor', ['doctor']], ['version', ['--version']], ['help', ['--help']]]) {
    const { r, modules } = traced(args, name);
    assert.ok(r.code === 0 || name === 'doctor', `${name}: ${r.out}`);
    assert.ok(modules.some((u) => u.endsWith('/dist/cli.js')), `${name}: the tracer saw the CLI`);
    assert.equal(sqlite(modules), [], `${name} loaded SQLite`);
  }
  const { r } = traced(['doctor'], 'doctor-again');
  assert.ok(r.out.includes(`(the replay on SQLite runs in \`${LG} migrations check\`)`), r.out);
});

test('migrations check does load the engine (the tracer sees it)', () => {
  const { r, modules } = traced(['migrations', 'check'], 'check');
  assert.is(r.code, 0, r.out);
  assert.ok(modules.some((u) => u.endsWith('/dist/sqlite/engine.js')), modules.join('\n'));
  // node:sqlite comes through process.getBuiltinModule, which no loader hook sees; the WASM build is
  // an import the tracer records.
  if (!availableEngines().includes('node:sqlite')) assert.ok(modules.some((u) => u.includes('@sqlite.org/sqlite-wasm')), modules.join('\n'));
});

test.after(() => {
  repo.remove();
  rmSync(logs, { recursive: true, force: true });
});

test.run();
