// A large Cargo.nix (#22): read from the working tree only when its bytes are the blob's, and judged
// from its bytes without decoding them. Real git, the real CLI, generated pairs of a few MB.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Repo, ROOT } from './helpers/repo.mjs';
import { writeBigPair } from '../bench/bigCargoNix.mjs';

const { BlobReader, INDEX, commitSource } = await import(join(ROOT, 'dist/git.js'));
const { readLockHash } = await import(join(ROOT, 'dist/nix/lockHash.js'));
const { readStamp } = await import(join(ROOT, 'dist/nix/stamp.js'));

const outcome = (f) => {
  try {
    return { value: f() };
  } catch (error) {
    return { error: error.message };
  }
};

// Pieces that make and break both patterns: names, separators, quotes, hex, line ends of every kind
// JavaScript's ^ and $ know, multi-byte characters, and runs of whitespace longer than a read window.
const HEX = 'a'.repeat(64);
const piece = fc.constantFrom(
  'nixifiedLockHash', ' = ', '=', '"', `"${HEX}"`, `"${HEX.toUpperCase()}";`, '"not hex";', '\n', '\r', '\r\n', '\u2028', '\u2029', ' ', '\t',
  '# loom-guard resources-stamp:', ` sha256=${'b'.repeat(64)} files=3`, ' files=x', 'é', '€', '𝄞', 'x', ';', ' '.repeat(5000), '\n'.repeat(3),
);

test('readLockHash and readStamp give the same answer on the bytes as on the decoded text (generated)', () => {
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 24 }), (parts) => {
      const text = parts.join('');
      const bytes = Buffer.from(text);
      assert.equal(outcome(() => readLockHash(bytes)), outcome(() => readLockHash(text)), JSON.stringify(text));
      assert.equal(readStamp(bytes), readStamp(text), JSON.stringify(text));
    }),
    { numRuns: 3000, seed: 20261205 },
  );
});

test('an assignment split by more whitespace than the read window is still found, and a bad one names its line', () => {
  const text = `# head\n\nnixifiedLockHash${' '.repeat(9000)}=\n  "${HEX}";\n`;
  assert.is(readLockHash(Buffer.from(text)), HEX);
  const bad = `# é\n# €\nnixifiedLockHash = "zz";\n`;
  assert.throws(() => readLockHash(Buffer.from(bad)), /Cargo\.nix:3: nixifiedLockHash "zz"/);
});

/** A repository with a committed pair whose Cargo.nix is `mb` MB. */
function bigRepo(mb) {
  const repo = Repo.init();
  writeBigPair(repo.dir, mb * 1e6);
  repo.commitNoVerify('big pair');
  return repo;
}

const catFile = (repo, spec) => execFileSync('git', ['cat-file', 'blob', spec], { cwd: repo.dir, maxBuffer: 1 << 30 });

test('a large blob is read from the working tree only when the file holds its very bytes', async () => {
  const repo = bigRepo(3);
  const path = join(repo.dir, 'Cargo.nix');
  const committed = readFileSync(path);
  const read = async (source) => {
    const reader = new BlobReader(repo.dir);
    try {
      return await reader.read(source, 'Cargo.nix');
    } finally {
      reader.close();
    }
  };
  // Same bytes: the working tree's file, equal to the blob.
  assert.ok((await read(INDEX)).equals(committed));

  // An unstaged edit of the same size: the index's bytes, not the file's.
  const edited = Buffer.from(committed);
  edited[edited.length - 3] = 0x23;
  writeFileSync(path, edited);
  assert.ok((await read(INDEX)).equals(catFile(repo, ':Cargo.nix')));
  assert.ok((await read(INDEX)).equals(committed));

  // Staged, then the file changed back: the index holds the edit, HEAD the original.
  repo.git('add', 'Cargo.nix');
  writeFileSync(path, committed);
  assert.ok((await read(INDEX)).equals(edited));
  assert.ok((await read(commitSource('HEAD'))).equals(committed));

  // A file git converts on checkout (eol=crlf): the blob keeps LF, and that is what is read.
  repo.git('reset', '-q', '--hard');
  writeFileSync(join(repo.dir, '.gitattributes'), 'Cargo.nix text eol=crlf\n');
  repo.git('add', '.gitattributes');
  repo.git('commit', '-q', '--no-verify', '-m', 'crlf');
  writeFileSync(path, readFileSync(path, 'utf8').replaceAll('\r\n', '\n').replaceAll('\n', '\r\n'));
  const blob = await read(INDEX);
  assert.not.ok(blob.includes('\r\n'));
  assert.ok(blob.equals(catFile(repo, ':Cargo.nix')));
  repo.remove();
});

test('nix check on a large pair judges the staged Cargo.nix, whatever the working tree holds', () => {
  const repo = bigRepo(3);
  const path = join(repo.dir, 'Cargo.nix');
  const inSync = readFileSync(path, 'utf8');
  const other = '0'.repeat(64);
  const drifted = inSync.replace(/nixifiedLockHash = "[0-9a-f]{64}"/, `nixifiedLockHash = "${other}"`);

  let r = repo.lg(['nix', 'check']);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /Cargo\.nix in sync \(lock hash/);

  // Working tree drifted, index in sync: in sync.
  writeFileSync(path, drifted);
  r = repo.lg(['nix', 'check']);
  assert.is(r.code, 0, r.out);

  // Index drifted, working tree in sync again: out of sync, naming the recorded hash.
  repo.git('add', 'Cargo.nix');
  writeFileSync(path, inSync);
  r = repo.lg(['nix', 'check']);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`Cargo\\.nix ${other} is out of sync with Cargo\\.lock`));
  repo.remove();
});

test.run();
