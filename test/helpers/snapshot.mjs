// Byte-for-byte pictures of a repository's state, to prove a run left everything as it was.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { sh } from './repo.mjs';

/**
 * A CARGO_TARGET_DIR per test file, kept across runs so cargo stays warm. Not one for all files:
 * cargo hashes a workspace member by its path relative to the workspace root, so two files running
 * at once with the same generated layout would share artifacts, and one file's fresh build could
 * make another's broken staged code look built (a false pass seen under load).
 */
export const cargoTargetFor = (testFile) => join(tmpdir(), `loom-guard-test-cargo-target-${testFile.replace(/^.*\//, '').replace(/\.test\.mjs$/, '')}`);

function walk(root, dir, out) {
  for (const name of readdirSync(join(root, dir)).sort()) {
    const rel = dir ? `${dir}/${name}` : name;
    if (rel === '.git' || rel === 'target') continue;
    const full = join(root, rel);
    const st = lstatSync(full);
    if (st.isSymbolicLink()) out[rel] = `link:${readlinkSync(full)}`;
    else if (st.isDirectory()) walk(root, rel, out);
    else out[rel] = `${(st.mode & 0o777).toString(8)}:${readFileSync(full).toString('base64')}`;
  }
  return out;
}

/** Working tree files (content and mode), index, status, untracked files, diffs and the stash list. */
export function snapshot(dir) {
  const g = (...args) => {
    const r = sh('git', args, { cwd: dir });
    return r.stdout;
  };
  return {
    files: walk(dir, '', {}),
    index: g('ls-files', '-s', '-z'),
    status: g('status', '--porcelain=v1', '-z', '--untracked-files=all'),
    untracked: g('ls-files', '-z', '--others', '--exclude-standard'),
    diff: g('diff', '--binary'),
    cached: g('diff', '--cached', '--binary'),
    stash: g('stash', 'list'),
    head: g('rev-parse', '--verify', '-q', 'HEAD'),
  };
}
