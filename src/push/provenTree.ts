import { dirname } from 'node:path';
import { GuardError } from '../errors.js';
import type { RepoPaths } from '../git.js';
import type { Reporter } from '../report.js';
import type { ExternalState } from './cache.js';
import { externalsFingerprint, findExternals, relativeTo } from './externals.js';
import { inWorkingTree, whyNotInPlace, type InPlaceState } from './inPlace.js';
import { alignMtimes } from './alignMtimes.js';
import { checkShared, warmIfCold } from './warmTarget.js';
import { lockPushTree, preparePushTree, pruneOrphans, refreshCheckoutIndex, removeLegacyPushTree, type PushTreeLayout } from './pushTree.js';

/*
 * Where the full check of one commit runs: in the working tree when that is provably the commit
 * (inPlace.ts), else in the private checkout, verified against the commit before use
 * (pushTree.ts). Says what a verdict obtained there may be cached under, and never offers to
 * cache one from a tree that was not proven equal to the commit.
 */

export interface ProvenRun<R> {
  /** 'in place' or the private checkout's path. */
  where: string;
  value: R;
  /** The state of the external path dependencies (taken before the run) to cache the verdict under; null: do not cache. */
  proven: ExternalState | null;
  /** Why the verdict may not be cached, when `proven` is null. */
  unproven?: string;
}

export interface ProvenTreeOptions {
  paths: RepoPaths;
  layout: PushTreeLayout;
  reporter: Reporter;
  commit: string;
  tree: string;
  /** `abc1234 subject`, for the note. */
  subject: string;
  /**
   * After a run in the working tree beside untracked or ignored files: why the run does not count
   * (a unit read one of them, per dep-info), or null when it counts.
   */
  prove?: (cwd: string, env: NodeJS.ProcessEnv, extras: InPlaceState['extras']) => Promise<string | null>;
  /** The environment both runs start from (the toolchain decision is in it). */
  env: NodeJS.ProcessEnv;
}

export async function inProvenTree<R>(options: ProvenTreeOptions, work: (cwd: string, env: NodeJS.ProcessEnv) => Promise<R>): Promise<ProvenRun<R>> {
  const { paths, layout, reporter, commit, tree, subject, env: baseEnv } = options;
  const ext = await findExternals(paths, layout.realRoot, layout.mirror, tree);
  const rels = relativeTo(layout.realRoot, ext.dirs);
  const extHash = await externalsFingerprint(layout.realRoot, rels);
  const state: ExternalState | null = extHash === null ? null : { rels, hash: extHash };
  const tooBig = `a path dependency outside the repository (${rels.join(', ')}) is too big to fingerprint`;

  const inPlace = await inWorkingTree(paths, reporter, async (): Promise<{ why: string } | { value: R; changed: string | null }> => {
    const before = await whyNotInPlace(paths.root, commit, layout.tree);
    if ('why' in before) return before;
    const n = before.extras.length;
    const beside = n ? `; ${n} untracked or ignored entr${n === 1 ? 'y' : 'ies'} to be proven unread by the build` : ', nothing untracked or ignored but target/';
    reporter.note(`full check of ${subject}: in the working tree (it is that commit, tracked files clean${beside})`);
    const value = await work(paths.root, baseEnv);
    const after = await whyNotInPlace(paths.root, commit, layout.tree);
    if ('why' in after) return { value, changed: after.why };
    if (after.extras.length) {
      const read = options.prove ? await options.prove(paths.root, baseEnv, after.extras) : 'nothing can prove the untracked files unread';
      if (read) return { why: `${read} (the run in the working tree does not count)` };
    }
    return { value, changed: null };
  });
  if ('value' in inPlace) {
    const unproven = inPlace.changed ? `the working tree changed during the check (${inPlace.changed})` : state ? undefined : tooBig;
    return { where: 'in place', value: inPlace.value, proven: unproven ? null : state, unproven };
  }

  if (ext.problems.length) {
    throw new GuardError(
      `${ext.problems[0]}: a private checkout cannot reproduce that layout, so the pushed commit cannot be checked apart from your working tree; push from a clean checkout of it (the check then runs in place), or skip once with LOOM_GUARD_SKIP=fmt,clippy,build,test`,
    );
  }
  if (await removeLegacyPushTree(paths.commonDir)) {
    reporter.note('removed the private checkout of an older loom-guard from .git/loom-guard (it now lives in the user cache folder)');
  }
  const release = await lockPushTree(layout, (pid) => reporter.note(`waiting for another loom-guard run (process ${pid}) to finish with ${layout.tree}`));
  try {
    const pruned = await pruneOrphans(layout).catch(() => 0);
    if (pruned) reporter.note(`removed ${pruned} private checkout${pruned === 1 ? '' : 's'} of repositories that no longer exist from ${dirname(layout.base)}`);
    const started = performance.now();
    const { rebuilt } = await preparePushTree(paths, layout, tree, ext.links);
    const ms = Math.round(performance.now() - started);
    reporter.note(
      `full check of ${subject}: in the private checkout ${layout.tree} (not in place: ${inPlace.why}; ${rebuilt ? 'checked out afresh' : 'updated'} and verified in ${ms}ms)`,
    );
    const waiting = (lockFile: string) => reporter.note(`waiting for the cargo build running in your target folder (its lock ${lockFile}) before taking its units`);
    const warm = await warmIfCold(paths.root, layout.tree, layout.target, baseEnv, waiting).catch((error: Error) => {
      reporter.warn(`could not seed the private checkout's target folder from yours (${error.message}): it builds every crate itself this once`);
      return null;
    });
    if (warm) {
      // Only now, with the members' units just taken from the user's target: against units of any
      // other origin, an older time could pass off another content's build as fresh.
      const aligned = warm.members ? await alignMtimes(paths.root, layout.tree, tree).catch(() => 0) : 0;
      if (aligned) await refreshCheckoutIndex(paths, layout);
      const members = aligned ? ` and ${warm.members} workspace crates (cargo rebuilds what your working tree does not hold)` : '';
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
      const how = warm.lock === 'timed out' ? "; cargo's lock on yours stayed busy, so the copy was verified instead" : warm.lock === 'no flock' ? "; without flock(1) to take cargo's lock, the copy was verified instead" : '';
      reporter.note(
        `the private checkout's target folder starts from yours: ${warm.packages} third-party crates${members} (${mb(warm.bytes)} MB copied, ${mb(warm.sharedBytes)} MB of third-party libraries shared by symlink${how})`,
      );
    } else {
      const rebuilt = await checkShared(layout.target).catch(() => 0);
      if (rebuilt) reporter.note(`${rebuilt} third-party unit${rebuilt === 1 ? '' : 's'} changed in your target folder since the private checkout shared ${rebuilt === 1 ? 'it' : 'them'}: rebuilt there`);
    }
    const env: NodeJS.ProcessEnv = { ...baseEnv, CARGO_TARGET_DIR: layout.target };
    for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[key];
    const value = await work(layout.tree, env);
    return { where: layout.tree, value, proven: state, unproven: state ? undefined : tooBig };
  } finally {
    await release();
  }
}
