import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { ROOT } from './helpers/repo.mjs';

/*
 * The shim's promise for lint-staged: for any glob and any staged path, it never says "nothing to
 * do" where lint-staged would match. The oracle is lint-staged's own matching (src/lintStaged/
 * match.ts: picomatch with lint-staged 16's options, the deepest config owning each file); the shim
 * side is the real sh `case` function the installed hook carries, run by /bin/sh.
 */

const { checkPatterns, relevantFunction } = await import(join(ROOT, 'dist/hookPatterns.js'));
const { matchedPaths } = await import(join(ROOT, 'dist/lintStaged/match.js'));
const { DEFAULT_CONFIG } = await import(join(ROOT, 'dist/config.js'));
const { globToCase } = await import(join(ROOT, 'dist/shimGlob.js'));

/** The lint-staged check's sh function for these configs, or null when the no-op path is off. */
function lintStagedFunction(configs) {
  const facts = { config: DEFAULT_CONFIG, rootManifest: null, manifestDirs: [], lintStaged: configs };
  const own = checkPatterns(facts).find((c) => c.id === 'lint-staged').patterns;
  return own && relevantFunction({ patterns: own });
}

/** The paths the sh function calls relevant, judged by /bin/sh in one run. */
function shMatches(fn, paths) {
  // reads_here=1: complete dep-info in this working tree, so only the patterns decide.
  const script = `reads_here=1\n${fn}\nwhile IFS= read -r f; do if relevant "$f"; then printf '%s\\n' "$f"; fi; done\n`;
  const r = spawnSync('/bin/sh', ['-c', script], { input: paths.map((p) => `${p}\n`).join(''), encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return new Set(r.stdout.split('\n').filter(Boolean));
}

test('globstar, braces and extglobs: the cases of issue 19', () => {
  const configs = [
    { file: 'package.json', dir: '', globs: ['web/**/*.ts', 'web/loom-web/{src,lib}/**/*.{js,ts}'] },
    { file: 'docs/package.json', dir: 'docs', globs: ['!(*.md)'] },
  ];
  const fn = lintStagedFunction(configs);
  assert.ok(fn, 'the no-op path stays on');
  const paths = ['web/app.ts', 'web/x/y/app.ts', 'web/loom-web/src/a.js', 'web/loom-web/lib/deep/b.ts', 'docs/a.txt', 'web/loom-web/src/a.css', 'README.md', 'other/app.ts'];
  const shim = shMatches(fn, paths);
  for (const p of matchedPaths(configs, paths)) assert.ok(shim.has(p), `${p}: lint-staged matches it, the shim must hand over`);
  assert.ok(shim.has('web/app.ts'));
  assert.ok(shim.has('web/loom-web/src/a.js'));
  // Precision still matters (each false alarm is a Node start): these stay on the no-op path.
  assert.not.ok(shim.has('README.md'));
  assert.not.ok(shim.has('other/app.ts'));
  assert.equal(globToCase('web/**/*.ts'), ['web/*.ts']);
  assert.equal(globToCase('tools/gen/**'), ['tools/gen', 'tools/gen/*']);
  assert.equal(globToCase('a b/{x,y}.md'), ["'a b/x.md'", "'a b/y.md'"]);
  for (const odd of ['!(*.md)', '*.[jt]s', '{1..3}.txt', '{a}.txt', 'a{b', 'a\\*b', '+(a|b)', '!x']) assert.is(globToCase(odd), null, odd);
});

const GLOB_TOKENS = ['a', 'b', 'x.ts', '.d', '-', '_', ' ', "'", '$', '@', '+', '!', ',', '/', '/', '*', '*', '**', '**/', '/**', '?', '{', '}', '{a,b}', '{,x/}', '*.{ts,js}', '(', ')', '|', '[ab]', './', '../'];
const PATH_SEGMENTS = ['a', 'b', 'x.ts', 'a.js', '.d', 'ab', 'b-a', 'a b', "it's", '$a', 'a@b', 'a+b', 'a!b', 'a,b', '{a}', 'x'];

const globArb = fc.array(fc.constantFrom(...GLOB_TOKENS), { minLength: 1, maxLength: 7 }).map((t) => t.join(''));
const pathArb = fc.array(fc.constantFrom(...PATH_SEGMENTS), { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));
const dirArb = fc.constantFrom('', 'a', 'web', 'a/b');

test('generated globs and paths: the shim never says "nothing to do" where lint-staged matches', () => {
  let translated = 0;
  fc.assert(
    fc.property(
      fc.array(fc.record({ dir: dirArb, globs: fc.array(globArb, { minLength: 1, maxLength: 3 }) }), { minLength: 1, maxLength: 2 }),
      fc.array(pathArb, { minLength: 1, maxLength: 12 }),
      (raw, rel) => {
        const configs = raw.map((c) => ({ file: `${c.dir ? `${c.dir}/` : ''}package.json`, dir: c.dir, globs: c.globs }));
        // Files under the configs' folders too, so nested ownership is exercised.
        const paths = [...new Set([...rel, ...configs.flatMap((c) => rel.map((p) => (c.dir ? `${c.dir}/${p}` : p)))])];
        const fn = lintStagedFunction(configs);
        if (fn === null) return; // no-op path off: Node decides every commit
        translated++;
        const shim = shMatches(fn, paths);
        for (const p of matchedPaths(configs, paths)) {
          if (!shim.has(p)) throw new Error(`${JSON.stringify(p)} matches ${JSON.stringify(configs)} in lint-staged, but the shim says nothing to do`);
        }
      },
    ),
    { numRuns: 400, seed: 19 },
  );
  assert.ok(translated > 300, `most generated configs keep the no-op path on (${translated})`);
});

test.run();
