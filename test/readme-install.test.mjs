// README's first screen gets a newcomer from a clone to hooks installed in their own repository:
// the commands of its install block are run here as written (this checkout stands for the clone,
// ~/src/your-repo for a generated Loom-shaped repository), and a commit then runs the hooks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, sh, cleanEnv } from './helpers/repo.mjs';
import { workspaceRepo } from './helpers/workspace.mjs';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const offline = Boolean(process.env.LOOM_GUARD_TEST_OFFLINE);
if (offline) process.stdout.write('readme-install.test: LOOM_GUARD_TEST_OFFLINE is set: skipped (npm install)\n');

/** The first ```sh block after a heading. */
function block(heading) {
  const at = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(at >= 0, `README has "## ${heading}"`);
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `a sh block under ${heading}`);
  return { text: m[1], line: readme.slice(0, at + m.index).split('\n').length };
}

test('the install block is on the first screen and names no command that does not work today', () => {
  const { text, line } = block('Install in your repository');
  assert.ok(line < 30, `the install commands start at line ${line} of README.md`);
  assert.not.match(text, /npm install --save-dev loom-guard\b/, 'the registry name is not published yet');
  assert.match(text, /npm ci/);
  assert.match(text, /npx loom-guard install/);
  assert.match(readme.slice(0, readme.indexOf('\n## Try it')), /Once it is published.*npm install --save-dev loom-guard/s);
});

(offline ? test.skip : test)("step 2 of the install block, run as written in a fresh repository, installs hooks that run on git commit", async () => {
  const { text } = block('Install in your repository');
  const { repo } = await workspaceRepo({ crates: 2, install: false });
  const clone = ROOT.replace(/\/$/, '');
  const step2 = text.slice(text.indexOf('# 2.'));
  const commands = step2
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replaceAll('~/loom-guard', clone));
  assert.match(commands[0], /^cd ~\/src\/your-repo$/);
  for (const command of commands.slice(1)) {
    const r = sh('sh', ['-c', command], { cwd: repo.dir, env: cleanEnv({ npm_config_audit: 'false', npm_config_fund: 'false' }) });
    // doctor exits 1 for what this machine lacks (a Nix with flakes off): it must have run and found the hooks.
    if (command.includes('doctor')) assert.match(r.stdout, /✔ pre-commit\s+pre-commit installed, runs loom-guard \S+ through \.\/node_modules\/\.bin/, r.out);
    else assert.is(r.code, 0, `${command}\n${r.out}`);
  }
  assert.match(JSON.parse(repo.read('package.json')).devDependencies['loom-guard'], /^file:/);
  assert.ok(existsSync(join(repo.dir, '.git/hooks/pre-commit')));
  repo.write('crates/loom-common-core/src/lib.rs', `${repo.read('crates/loom-common-core/src/lib.rs')}\n// edited\n`);
  const c = repo.commit('through the installed hooks', { env: { LOOM_GUARD_SKIP: 'fmt,clippy,build' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /skipped fmt, clippy, build \(LOOM_GUARD_SKIP=fmt,clippy,build\)/);
  assert.match(c.out, /✔ nix-sync/);
  repo.remove();
});

test.run();
