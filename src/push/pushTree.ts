import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GuardError } from '../errors.js';
import { run } from '../proc.js';

/*
 * The private checkout the full check runs in when the pushed commit is not what the working tree
 * holds. It has its own index (<dir>.index), so the user's working tree, index and stash are never
 * touched, and it is moved from tree to tree with `read-tree --reset -u`, which rewrites only the
 * files that differ: unchanged files keep their mtimes and cargo, with its own persistent target
 * folder, rebuilds only what changed.
 */

export interface PushTreeLayout {
  /** <commonDir>/loom-guard */
  base: string;
  tree: string;
  index: string;
  target: string;
  lock: string;
}

export function pushTreeLayout(commonDir: string): PushTreeLayout {
  const base = join(commonDir, 'loom-guard');
  const tree = join(base, 'push-tree');
  return { base, tree, index: `${tree}.index`, target: join(base, 'push-target'), lock: `${tree}.lock` };
}

/** The environment git needs to address the private checkout, without the caller's overrides. */
function treeEnv(layout: PushTreeLayout): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_INDEX_FILE: layout.index, GIT_OPTIONAL_LOCKS: '0' };
  delete env.GIT_WORK_TREE;
  return env;
}

async function gitIn(repoRoot: string, layout: PushTreeLayout, args: string[], input?: string): Promise<string> {
  const result = await run('git', ['--work-tree', layout.tree, ...args], { cwd: repoRoot, env: treeEnv(layout), input });
  if (result.exitCode !== 0) {
    const message = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new GuardError(
      `${layout.tree}: git ${args[0]} failed in the private checkout (${message}): delete that folder and ${layout.index}, then push again`,
    );
  }
  return result.stdout.toString('utf8');
}

/** Makes the private checkout hold exactly `tree`, rewriting only the files that differ. */
export async function syncPushTree(repoRoot: string, layout: PushTreeLayout, tree: string): Promise<void> {
  await mkdir(layout.tree, { recursive: true });
  // --reset rather than -m: a file a build script rewrote in the checkout must not stop the move.
  try {
    await gitIn(repoRoot, layout, ['read-tree', '--reset', '-u', tree]);
  } catch {
    // A damaged private index (an interrupted run, a full disk) is rebuilt: it only caches stat data.
    await rm(layout.index, { force: true });
    await gitIn(repoRoot, layout, ['read-tree', '--reset', '-u', tree]);
  }
  // read-tree trusts the index for files that did not change between trees; anything edited or
  // deleted behind its back (a build script, a curious user) is found by stat and put back.
  await gitIn(repoRoot, layout, ['update-index', '-q', '--refresh']).catch(() => '');
  const drift = await gitIn(repoRoot, layout, ['diff-files', '--name-only', '-z']);
  if (drift) await gitIn(repoRoot, layout, ['checkout-index', '-f', '-z', '--stdin'], drift);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the private checkout for this process: two pushes at once would otherwise move the same
 * folder under each other. A lock left by a process that is gone is taken over.
 */
export async function lockPushTree(layout: PushTreeLayout, onWait: (pid: number) => void, timeoutMs = 30 * 60_000): Promise<() => Promise<void>> {
  await mkdir(layout.base, { recursive: true });
  const started = Date.now();
  let told = false;
  for (;;) {
    // Written beside and hard-linked into place: the lock never exists without its pid in it.
    const tmp = `${layout.lock}.${process.pid}`;
    await writeFile(tmp, String(process.pid));
    try {
      await link(tmp, layout.lock);
      return () => rm(layout.lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await rm(tmp, { force: true });
    }
    const pid = Number((await readFile(layout.lock, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) {
      await rm(layout.lock, { force: true });
      continue;
    }
    if (!told) {
      onWait(pid);
      told = true;
    }
    if (Date.now() - started > timeoutMs) {
      throw new GuardError(`${layout.lock}: held by process ${pid} for too long: stop that loom-guard run or delete the file`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
