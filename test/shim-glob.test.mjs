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

const { readPatterns } = await import(join(ROOT, 'dist/hookPatterns.js'));
const { outsideReads, plainName } = await import(join(ROOT, 'dist/cargo/outsideReads.js'));

// Names git prints as they are (core.quotePath): any printable ASCII but `"` and `\`, so quotes,
// globs, spaces and shell syntax. Others reach the shim quoted and always hand over.
const NAME_CHARS = [...Array(95)].map((_, i) => String.fromCharCode(32 + i)).filter((c) => c !== '"' && c !== '\\');
const nameArb = fc.array(fc.constantFrom(...NAME_CHARS, 'a', 'a', '/', '*', "'", '[', ']', '?'), { minLength: 1, maxLength: 10 }).map((c) => c.join(''));

test('generated names cargo read outside the crates: sh matches each exactly, never a look-alike', () => {
  fc.assert(
    fc.property(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 4 }), fc.uniqueArray(nameArb, { maxLength: 2 }), fc.array(nameArb, { maxLength: 6 }), (files, folders, others) => {
      const fn = relevantFunction({ patterns: readPatterns({ files, folders }), readsComplete: '/x' });
      // Look-alikes: what each name would match if sh read it as a glob, or as a prefix.
      const alike = files.flatMap((f) => [f.replace(/[*?]/g, 'zz').replace(/\[([^\]]*)\]/g, '$1'), `${f}x`, `x${f}`, f.slice(0, -1)]);
      const candidates = [...new Set([...files, ...folders.map((d) => `${d}/in`), ...others, ...alike])].filter((p) => p !== '' && !p.includes('\n'));
      const expected = (p) => files.includes(p) || folders.some((d) => p === d || p.startsWith(`${d}/`));
      const shim = shMatches(fn, candidates);
      for (const p of candidates) {
        if (shim.has(p) !== expected(p)) throw new Error(`${JSON.stringify(p)}: sh says ${shim.has(p)}, the reads ${JSON.stringify({ files, folders })} say ${expected(p)}`);
      }
    }),
    { numRuns: 150, seed: 19 },
  );
});

test('outside reads: only files outside every member folder and cargo\'s target, plain names; complete only when every record is current', () => {
  const members = [{ name: 'a', dir: 'crates/a' }, { name: 'b', dir: 'crates/b' }];
  const deps = (files, folders, notCurrent = []) => ({ allReads: () => ({ files, folders }), notCurrent });
  const r = outsideReads(deps(['crates/a/src/lib.rs', 'shared/schema.sql', 'crates/ab.txt', 'target/debug/build/a-1/out/gen.rs', 'docs/naïve.txt', 'docs/"q".txt', ''], ['crates/a', 'assets', 'odd\\dir']), members, 'target');
  assert.equal(r.files, ['crates/ab.txt', 'shared/schema.sql']);
  // A folder with a name sh could not match exactly below it widens to the whole repository.
  assert.equal(r.folders, ['', 'assets']);
  assert.ok(r.complete);
  const gap = outsideReads(deps(['shared/schema.sql'], [], [{ crate: 'b', why: 'missing' }]), members, null);
  assert.not.ok(gap.complete);
  assert.match(gap.because, /b has no dep-info yet/);
  assert.ok(plainName("it's [a] *x*.txt"));
  assert.not.ok(plainName('tab\there'));
  // The patterns the shim gets: the whole repository as `*`, a folder as itself and what is under it.
  assert.equal(readPatterns({ files: ["it's"], folders: ['', 'a b'] }), ["'it'\\''s'", '*', "'a b'", "'a b'/*"]);
});

test.run();
