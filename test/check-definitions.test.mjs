import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, ROOT, sh } from './helpers/repo.mjs';

/*
 * One definition per check (src/checks/definitions.ts) drives every list; these tests hold the
 * lists to it, and prove the promise the shim's patterns carry: for every check, any staged path
 * it deems relevant makes the shim hand over to Node (never the no-op path).
 */

const defs = await import(join(ROOT, 'dist/checks/definitions.js'));
const { CHECK_IDS } = await import(join(ROOT, 'dist/checkIds.js'));
const { STAGED_CHECKS } = await import(join(ROOT, 'dist/checks/registry.js'));
const { COMMIT_CHECK_IDS } = await import(join(ROOT, 'dist/push/commitChecks.js'));
const { FULL_STEPS } = await import(join(ROOT, 'dist/push/fullCheck.js'));
const { checkPatterns } = await import(join(ROOT, 'dist/hookPatterns.js'));
const { repoRelevanceFacts } = await import(join(ROOT, 'dist/install.js'));

test('every list is derived from the definitions', () => {
  const ids = defs.CHECKS.map((c) => c.id);
  assert.equal([...CHECK_IDS], ids);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  assert.equal(STAGED_CHECKS.flatMap((g) => g.ids), defs.CHECKS.filter((c) => c.staged).map((c) => c.id));
  assert.equal([...COMMIT_CHECK_IDS], defs.CHECKS.filter((c) => c.commit).map((c) => c.id));
  assert.equal([...FULL_STEPS], defs.CHECKS.filter((c) => c.tip?.kind === 'cargo').map((c) => c.id));
  for (const c of defs.CHECKS) {
    assert.ok(c.title, `${c.id} has a title`);
    if (c.staged) assert.type(c.relevant, 'function', `${c.id} runs at pre-commit, so it says which paths make it relevant`);
  }
  assert.ok(ids.includes('lint-staged'));
});

test('the CLI help lists every check id', () => {
  const r = new Repo(ROOT).lg(['--help']);
  for (const id of CHECK_IDS) assert.ok(r.stdout.includes(id), id);
  const commit = new Repo(ROOT).lg(['pre-commit', '--help']).stdout;
  for (const g of STAGED_CHECKS) for (const id of g.ids) assert.ok(commit.includes(id), `pre-commit help names ${id}`);
});

test('lint-staged globs become shim globs, widening to the config folder where sh cannot follow', async () => {
  const { relevantGlobs } = await import(join(ROOT, 'dist/lintStaged/globs.js'));
  const { parseConfigGlobs } = await import(join(ROOT, 'dist/lintStaged/configs.js'));
  const { matchedPaths } = await import(join(ROOT, 'dist/lintStaged/match.js'));
  assert.equal(relevantGlobs({ file: 'web/package.json', dir: 'web', globs: ['*.{js,ts}', 'src/*.css'] }), ['web/*.{js,ts}', 'web/**/*.{js,ts}', 'web/src/*.css']);
  assert.equal(relevantGlobs({ file: 'web/package.json', dir: 'web', globs: ['!(*.md)'] }), ['web', 'web/**']);
  assert.equal(relevantGlobs({ file: 'web/.lintstagedrc.js', dir: 'web', globs: null }), ['web', 'web/**']);
  assert.equal(relevantGlobs({ file: '.lintstagedrc.js', dir: '', globs: null }), ['*']);
  assert.equal(parseConfigGlobs('package.json', '{"name":"x"}'), undefined, 'a package.json without the key is no config');
  assert.equal(parseConfigGlobs('.lintstagedrc', '"*.js": eslint\n'), null, 'YAML: globs unknown');
  const configs = [
    { file: 'package.json', dir: '', globs: ['*.md'] },
    { file: 'web/package.json', dir: 'web', globs: ['*.js'] },
  ];
  // Each file belongs to the deepest config: web/README.md is web's, which does not lint *.md.
  assert.equal(matchedPaths(configs, ['README.md', 'web/README.md', 'web/src/a.js', 'src/b.js']), ['README.md', 'web/src/a.js']);
});

/** Points the installed shim's recorded loom-guard at nothing: a hand-over then fails visibly. */
function unreachable(repo) {
  const hook = join(repo.dir, '.git/hooks/pre-commit');
  writeFileSync(hook, readFileSync(hook, 'utf8').replace(/^recorded_cli=.*$/m, "recorded_cli='/nonexistent/cli.js'"));
}
const env = { PATH: '/usr/bin:/bin' };

/** Paths an sh pattern matches: each `*` as one name, and as two folders deep. */
function samples(pattern) {
  return [pattern.replace(/\*/g, 'x').replace(/\?/g, 'q'), pattern.replace(/\*/g, 'd/x').replace(/\?/g, 'q')];
}

test("for every check, a staged path its definition deems relevant hands over to Node", async () => {
  const repo = Repo.init();
  repo.writeAll({
    'Cargo.toml': '[workspace]\nmembers = ["crates/*", "tools/xtask"]\nresolver = "2"\n',
    'vendor/forked/Cargo.toml': '[package]\nname = "forked"\nversion = "0.1.0"\n',
    // Real members, so cargo can say which crates read what (the no-op cases at the end).
    'crates/one/Cargo.toml': '[package]\nname = "one"\nversion = "0.1.0"\nedition = "2021"\n',
    'crates/one/src/lib.rs': 'pub fn one() {}\n',
    'tools/xtask/Cargo.toml': '[package]\nname = "xtask"\nversion = "0.1.0"\nedition = "2021"\n',
    'tools/xtask/src/main.rs': 'fn main() {}\n',
    '.loom-guard.json': JSON.stringify({ resources: ['assets/**/*.json'], migrations: ['db/migrations'], registry: 'server/src/registry.rs' }),
    'web/package.json': JSON.stringify({ name: 'web', 'lint-staged': { '*.{js,svelte}': 'eslint', 'src/**/*.css': 'stylelint' } }),
    'app/.lintstagedrc.yaml': '"*.ts": tsc\n',
    'README.md': '# r\n',
  });
  repo.commitNoVerify('initial');
  repo.install();
  unreachable(repo);
  // The config files must look older than the hook, as after a normal install (reset --hard in
  // handedOver rewrites those it touched).
  // A minute before the hook was written, not before now: under load the loop below outlives a
  // minute, and "now - 60 s" would then be newer than the hook (a hand-over the test did not ask for).
  const hookTime = statSync(join(repo.dir, '.git/hooks/pre-commit')).mtimeMs;
  const settle = () => {
    const past = new Date(hookTime - 60_000);
    for (const f of ['Cargo.toml', '.loom-guard.json', 'README.md']) utimesSync(join(repo.dir, f), past, past);
  };
  settle();

  const facts = await repoRelevanceFacts(repo.dir);
  const perCheck = checkPatterns(facts);
  assert.equal(perCheck.map((c) => c.id), STAGED_CHECKS.flatMap((g) => g.ids));
  const handedOver = (path) => {
    repo.write(path, path.endsWith('.json') ? '{}\n' : 'x\n');
    repo.git('add', '-f', '--', path);
    // Only the staged path may decide: never a config file left newer than the hook.
    settle();
    const c = repo.tryGit(['commit', '-q', '-m', 'x'], { env });
    const over = /cannot find loom-guard/.test(c.out);
    if (!over) assert.is(c.code, 0, c.out);
    repo.git('reset', '-q', '--hard');
    repo.git('clean', '-qfdx');
    return over;
  };
  let tried = 0;
  for (const { id, patterns } of perCheck) {
    assert.ok(patterns, `${id}: patterns expressible in this repository`);
    for (const pattern of patterns) {
      for (const path of samples(pattern)) {
        // A pattern naming a folder itself (a member folder) cannot be staged as a file.
        if (statSync(join(repo.dir, path), { throwIfNoEntry: false })?.isDirectory()) continue;
        tried++;
        assert.ok(handedOver(path), `${id}: ${path} (pattern ${pattern}) must hand over`);
      }
    }
  }
  assert.ok(tried > 40, `${tried} paths tried`);
  // The lint-staged globs made it in: a web file and a file under the YAML config's folder.
  assert.ok(handedOver('web/src/lib/Button.svelte'), 'a brace-expanded lint-staged glob');
  assert.ok(handedOver('app/deep/x.md'), 'a config sh cannot read widens to its folder');
  // Until cargo's records show what the crates read, any file outside them may be read.
  assert.ok(handedOver('README.md'), 'no dep-info yet: a README hands over');
  const built = sh('cargo', ['build', '--workspace', '--offline'], { cwd: repo.dir });
  assert.is(built.code, 0, built.out);
  assert.match(repo.lg(['refresh-shim']).out, /dep-info complete/);
  unreachable(repo);
  settle();
  assert.not.ok(handedOver('README.md'), 'a README still takes the no-op path');
  assert.not.ok(handedOver('web/README.md'), 'a web file no task matches takes the no-op path');
  repo.remove();
});

test.run();
