// A full picture of a repository for the "no byte lost" tests: every file, folder and symlink of
// the working tree (ignored files and nested repositories too) with its mode, the index, refs,
// stash and status, and anything loom-guard left in .git. Two equal pictures mean nothing changed.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sh } from './repo.mjs';

/** Every path under `dir` (without following symlinks): kind, mode, content hash or link target. */
export function treePicture(dir, skipTopGit = true) {
  const out = {};
  const walk = (rel) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (skipTopGit && path === '.git') continue;
      const full = join(dir, path);
      const st = lstatSync(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[path] = `link ${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[path] = `dir ${mode}`;
        walk(path);
      } else out[path] = `file ${mode} ${createHash('sha1').update(readFileSync(full)).digest('hex')}`;
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

export function repoPicture(dir) {
  const g = (...args) => sh('git', args, { cwd: dir }).stdout;
  const guard = join(dir, '.git/loom-guard');
  return {
    tree: treePicture(dir),
    index: g('ls-files', '-s', '-z') + g('ls-files', '-t', '-v', '-z'),
    cached: g('diff', '--cached', '--binary'),
    status: g('status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignored'),
    refs: g('for-each-ref', '--format=%(refname) %(objectname)'),
    stash: g('stash', 'list', '--format=%H %s'),
    head: g('symbolic-ref', '-q', 'HEAD') + g('rev-parse', '-q', '--verify', 'HEAD'),
    guard: existsSync(guard) ? readdirSync(guard).filter((n) => /^(lock|backup|recovered-)/.test(n)).sort() : [],
  };
}
