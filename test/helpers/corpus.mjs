// Which corpus the corpus-reading tests use: the whole of ../shared/corpus when it is beside the
// repository, else the small set in test/fixtures/corpus (same layout, permissively licensed cases
// only). LOOM_GUARD_TEST_NO_SHARED=1 hides ../shared, so CI can run the clean-clone way too;
// LOOM_GUARD_TEST_CORPUS=<dir> names the whole corpus where it is not at ../shared/corpus.
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SHARED_CORPUS = process.env.LOOM_GUARD_TEST_CORPUS || join(ROOT, '../shared/corpus');
export const FIXTURE_CORPUS = join(ROOT, 'test/fixtures/corpus');

const hidden = /^(1|true|yes)$/i.test(process.env.LOOM_GUARD_TEST_NO_SHARED ?? '');
export const CORPUS_IS_SHARED = !hidden && existsSync(join(SHARED_CORPUS, 'cargo2nix'));
export const CORPUS = CORPUS_IS_SHARED ? SHARED_CORPUS : FIXTURE_CORPUS;

/** The line test/run.mjs prints: which corpus, how many pairs, and why. */
export function corpusLine() {
  const pairs = readdirSync(join(CORPUS, 'cargo2nix')).length;
  const migrations = readdirSync(join(CORPUS, 'loom-migrations')).length;
  const why = CORPUS_IS_SHARED ? '' : hidden ? ' (../shared/corpus hidden by LOOM_GUARD_TEST_NO_SHARED)' : ` (${relative(ROOT, SHARED_CORPUS)} not found)`;
  const where = CORPUS_IS_SHARED ? `the whole corpus ${relative(ROOT, SHARED_CORPUS)}` : 'the fixture set test/fixtures/corpus';
  return `corpus: ${where}, ${pairs} cargo2nix pairs and ${migrations} migrations${why}`;
}

/** uvu's test, or its skip when the case needs what only the whole corpus has. */
export const testIf = (test, condition) => (condition ? test : test.skip);
