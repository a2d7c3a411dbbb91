import { lstat, mkdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { git } from '../git.js';
import { quote } from './backup.js';
import { casWrite, Recovered } from './cas.js';
import { faultPoint } from './faults.js';
import { blobFingerprint, bytesFingerprint, fingerprint, move, touch } from './fsops.js';
import { APPLIED, JOURNAL, RECOVER, type Applied, type Journal, type Moved } from './journal.js';

/*
 * The restore phase: the tree gets back exactly what the journal says was moved aside. What the
 * isolation wrote is removed only while it is still what was written; anything edited since stays,
 * and the user's earlier version is set aside with one line of advice each. Nothing is ever
 * overwritten: a moved-aside item goes back only where nothing stands now.
 */

export interface Unsafe {
  path: string;
  /** One line: what happened and the exact command that recovers it. */
  advice: string;
}

export interface RestoreOutcome {
  restored: number;
  unsafe: Unsafe[];
  /** Where the backup was moved when something could not be put back safely. */
  setAside: string | null;
  /** One line per fixer's output kept aside by the recovery of a run killed while a fixer ran. */
  fixerOutput: string[];
}

const exists = (path: string) => lstat(path).then(() => true, () => false);

/** True when `path` or one of its folders was to be moved aside but never was: the user's item still stands there. */
async function neverMoved(path: string, moved: Moved[], dir: string): Promise<boolean> {
  for (const m of moved) {
    if (path === m.path || path.startsWith(`${m.path}/`)) {
      if (!(await exists(join(dir, 'files', m.backup)))) return true;
    }
  }
  return false;
}

export interface RestoreOptions {
  /** Rolling back our own half-done hide: what stands at a written path is ours even if torn. */
  rollback?: boolean;
}

export async function restoreJournal(
  root: string,
  gitDir: string,
  dir: string,
  journal: Journal,
  applied: Applied | null,
  options: RestoreOptions = {},
): Promise<RestoreOutcome> {
  const unsafe: Unsafe[] = [];
  let restored = 0;

  const fixes = journal.fixes ?? [];
  await settleFixes(root, dir, journal);
  const fixerOutput = await undoRunningFixers(root, gitDir, journal);

  // 0. A fixer's rewrite of a file the isolation did not hide, not staged (blocked, interrupted,
  // killed): the file's earlier bytes go back while the fixer's are still there; a save since stays.
  for (const fix of [...fixes].reverse()) {
    if (fix.staged || fix.before === null) continue;
    const saved = join(dir, 'files', fix.before);
    if (!(await exists(saved))) continue;
    if ((await fingerprint(join(root, fix.path)).catch(() => null)) !== fix.after) continue;
    await move(saved, join(root, fix.path));
    await faultPoint(`restore: undid the fix of ${fix.path}`);
  }

  // 1. What we wrote goes, while it is still ours (the index version, or a fixer's rewrite of it).
  for (const w of [...journal.written].reverse()) {
    if (await neverMoved(w.path, journal.moved, dir)) continue;
    const target = join(root, w.path);
    const now = await fingerprint(target).catch(() => null);
    if (now === null) continue;
    const fixed = fixes.some((f) => f.path === w.path && f.after === now);
    const ours = options.rollback || fixed ? now : (applied?.written[w.path] ?? (await blobFingerprint(root, w.mode, w.blob, w.path)));
    if (now === ours) {
      await rm(target, { force: true });
      await faultPoint(`restore: removed ${w.path}`);
    } else if (!journal.moved.some((m) => m.path === w.path)) {
      unsafe.push({
        path: w.path,
        advice: `${w.path}: was deleted in your working tree; it now holds edits made while loom-guard ran, kept as they are (delete it again if you meant to: rm ${quote(w.path)})`,
      });
    }
  }
  for (const created of [...journal.createdDirs].reverse()) await rmdir(join(root, created)).catch(() => {});

  // 2. What was moved aside comes back, where nothing stands now.
  const aside: Moved[] = [];
  for (const m of [...journal.moved].reverse()) {
    const saved = join(dir, 'files', m.backup);
    if (!(await exists(saved))) continue; // never moved, or already back
    const target = join(root, m.path);
    if (await exists(target)) {
      aside.push(m);
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await move(saved, target);
    // cargo decides freshness by mtime: the user's version must look newer than what was built.
    if (m.why === 'unstaged') await touch(target);
    restored++;
    await faultPoint(`restore: put back ${m.path}`);
  }
  for (const m of aside) {
    unsafe.push({
      path: m.path,
      advice: `${m.path}: changed while loom-guard had it hidden; your earlier version is kept. To take it back: rm -r ${quote(m.path)} && mv ${quote(`<backup>/files/${m.backup}`)} ${quote(m.path)}`,
    });
  }

  let setAside: string | null = null;
  if (unsafe.length) {
    const base = join(gitDir, 'loom-guard', `recovered-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    // The same millisecond may already have a recovered folder (a compare-and-swap of this run).
    for (let n = 0; ; n++) {
      setAside = n ? `${base}-${n}` : base;
      if (await exists(setAside)) continue;
      await rename(dir, setAside);
      break;
    }
    for (const u of unsafe) u.advice = u.advice.replace('<backup>', setAside as string);
    await writeFile(join(setAside, RECOVER), `${unsafe.map((u) => u.advice).join('\n')}\n`);
    await rm(join(setAside, JOURNAL), { force: true });
  } else {
    // The journal goes last: until it is gone, a later run can still finish this restore.
    await rm(join(dir, 'files'), { recursive: true, force: true });
    await rm(join(dir, APPLIED), { force: true });
    await rm(join(dir, RECOVER), { force: true });
    await faultPoint('restore: before removing the journal');
    await rm(join(dir, JOURNAL), { force: true });
    await rm(dir, { recursive: true, force: true });
  }
  return { restored, unsafe, setAside, fixerOutput };
}

/**
 * A kill inside stageFixes (edits.ts): a fix the index already holds counts as staged (the
 * journal had not said so yet), and a staged fix's merge into the user's hidden version is moved
 * in; a merge of a fix that never reached the index is dropped. Either way no mix is left: the fix
 * staged and carried by the user's version, or neither.
 */
async function settleFixes(root: string, dir: string, journal: Journal): Promise<void> {
  const fixes = journal.fixes ?? [];
  const unsure = fixes.filter((f) => !f.staged);
  if (unsure.length) {
    const listing = await git(root, ['ls-files', '-s', '-z', '--', ...unsure.map((f) => `:(literal)${f.path}`)]);
    const blobs = new Map<string, string>();
    for (const line of listing.stdout.toString('utf8').split('\0').filter(Boolean)) {
      const tab = line.indexOf('\t');
      blobs.set(line.slice(tab + 1), line.slice(0, tab).split(' ')[1] ?? '');
    }
    for (const f of unsure) if (blobs.get(f.path) === f.blob) f.staged = true;
  }
  for (const f of fixes) {
    if (f.hidden === undefined) continue;
    const merged = join(dir, 'files', f.hidden);
    if (!(await exists(merged))) continue; // already moved in
    const moved = journal.moved.find((m) => m.path === f.path && m.why !== 'untracked');
    if (f.staged && moved && (await exists(join(dir, 'files', moved.backup)))) await rename(merged, join(dir, 'files', moved.backup));
    else await rm(merged, { force: true });
    await faultPoint('restore: settled a fix');
  }
}

/**
 * A kill while a fixer ran in place (journal.running, adopt() never came): a path whose bytes
 * differ from what stood there when the fixer started holds the fixer's output. It is kept as a
 * named file under recovered-<time>/ and what stood there comes back: the user's hidden version
 * (step 2, once the path is free) or the index version the tree showed. A save of the user's in
 * that window cannot be told from the fixer's output; it is then the file kept aside.
 */
async function undoRunningFixers(root: string, gitDir: string, journal: Journal): Promise<string[]> {
  const running = journal.running ?? [];
  if (!running.length) return [];
  const recovered = new Recovered(gitDir);
  const adopted = new Set((journal.fixes ?? []).map((f) => f.path));
  for (const r of running) {
    if (adopted.has(r.path)) continue; // journaled as a fix: steps 0 and 1 decide
    const target = join(root, r.path);
    const now = await fingerprint(target).catch(() => null);
    if (now === r.before || now === 'dir' || now?.startsWith('link:')) continue;
    const written = journal.written.some((w) => w.path === r.path);
    if (now !== null) {
      const output = await readFile(target);
      await recovered.keep(r.path, output, 'rewritten by a fixer when the run was killed', (kept) => `${r.path}: a fixer's output when the run was killed (or a save of yours at that moment) is in ${kept}; the file is back as it was before the fixer ran`);
      await faultPoint('restore: kept a fixer\'s output');
      if (written) {
        // The user's version (or the deletion) comes back in step 2; step 1 finds nothing here.
        if ((await fingerprint(target)) === now) await rm(target, { force: true });
        continue;
      }
    } else if (written) continue;
    // The tree showed the user's own file, which was the index version: written back by
    // compare-and-swap over the fixer's bytes just kept.
    const result = await git(root, ['cat-file', '--filters', `--path=${r.path}`, r.blob]);
    if (result.exitCode !== 0) continue;
    if (bytesFingerprint(result.stdout, r.mode === '100755') !== r.before) continue; // cannot be rebuilt exactly: the fixer's bytes stay
    await casWrite(root, r.path, [now], result.stdout, r.mode === '100755' ? 0o755 : 0o644, recovered, 'changed while loom-guard recovered it');
  }
  return recovered.lines;
}
