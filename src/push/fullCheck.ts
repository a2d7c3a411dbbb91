import type { CheckId } from '../checkIds.js';
import { cargoTipIds } from '../checks/definitions.js';
import type { Config } from '../config.js';
import { git, gitText, type RepoPaths } from '../git.js';
import type { CrateSelection, WorkspaceCrate } from '../cargo/crates.js';
import { describeSelection, packageArgs, tail } from '../cargo/steps.js';
import { colourEnabled, type CheckResult, type Reporter } from '../report.js';
import { isSkipped, type SkipRequest } from '../skip.js';
import type { PushCache } from './cache.js';
import { externalsFingerprint } from './externals.js';
// What runs cargo is imported when a step runs: a cache-hit push (most pushes) needs none of it.
import type { ProvenRun } from './provenTree.js';
import type { InPlaceState } from './inPlace.js';
import type { PushTreeLayout } from './pushTree.js';

/*
 * The full check on one pushed commit: the four cargo steps (src/cargo/runner.ts) on exactly that
 * commit's tree, for the crates affected since a tree that passed, or the workspace. In place when
 * the working tree is provably that commit (inPlace.ts); otherwise in the private checkout
 * (pushTree.ts), verified before use, with its own persistent target folder. A verdict is cached
 * only when it was obtained in a tree proven equal to the commit.
 */

export type FullStep = Extract<CheckId, 'fmt' | 'clippy' | 'build' | 'test'>;
/** The definitions whose tip run is a cargo step (checks/definitions.ts), in their order. */
export const FULL_STEPS = cargoTipIds() as readonly FullStep[];

/** The one action that fixes a failed step of a push, with the command that re-checks it. */
export function pushFix(step: FullStep, scope: CrateSelection): string {
  const pkgs = packageArgs(scope, step).join(' ');
  switch (step) {
    case 'fmt':
      return `cargo fmt ${pkgs}, commit, push again`;
    case 'clippy':
      return `fix the warnings above (cargo clippy ${pkgs} -- -D warnings), commit, push again`;
    case 'build':
      return `fix the errors above (cargo build ${pkgs}), commit, push again`;
    case 'test':
      return `fix the failing tests above (cargo test ${pkgs}), commit, push again`;
  }
}

export { tail };

/** A tree that passed the full check, from which the changes are taken: its commit and tree. */
export interface PassedBase {
  commit: string;
  tree: string;
}

/** How far back the search for a passed ancestor goes: further back, the workspace is as cheap. */
const BASE_SEARCH_DEPTH = 200;

/** `3 crates (a, b, c)`, listing every crate up to a dozen. */
const crateList = (names: string[]) => describeSelection({ workspace: false, crates: names }, 12);

export interface FullCheckOutcome {
  commit: string;
  tree: string;
  failed: FullStep[];
  /** Where it ran: 'cache', 'in place', or the private checkout. */
  where: string;
}

export interface FullCheckerOptions {
  paths: RepoPaths;
  config: Config;
  reporter: Reporter;
  skip: SkipRequest;
  /** The verdict cache and the environment for one commit: both depend on its toolchain (job.ts). */
  contextFor: (commit: string) => Promise<VerdictContext>;
  layout: PushTreeLayout;
}

/** What a commit's verdict depends on besides its tree: the toolchain decided for it, in `env`. */
export interface VerdictContext {
  cache: PushCache;
  /** process.env with RUSTUP_TOOLCHAIN set to the one toolchain decision (src/cargo/toolchain.ts). */
  env: NodeJS.ProcessEnv;
}

export class FullChecker {
  /** Results by tree within this run: two refs at one tree are checked once. */
  private readonly seen = new Map<string, { label: string; results: Map<FullStep, CheckResult> }>();
  /** The members and scope of the last run, for the proof that it read no untracked file. */
  private last: { members: WorkspaceCrate[] | null; scope: CrateSelection } | null = null;

  constructor(private readonly options: FullCheckerOptions) {}

  /** Runs (or recalls) the full check on `commit`, reporting one line per step. */
  async check(commit: string, label: string): Promise<FullCheckOutcome> {
    const { paths, reporter, skip } = this.options;
    // The tree is asked while the toolchain decision waits for the commit's files.
    const [{ cache, env }, treeOut] = await Promise.all([this.options.contextFor(commit), gitText(paths.root, ['rev-parse', `${commit}^{tree}`])]);
    const tree = treeOut.trim();
    const active = FULL_STEPS.filter((s) => !isSkipped(skip, s));
    const results = new Map<FullStep, CheckResult>();
    for (const s of FULL_STEPS) if (!active.includes(s)) results.set(s, { id: s, status: 'skip', summary: `skipped (${skip.source})` });

    const earlier = this.seen.get(tree);
    const { realRoot } = this.options.layout;
    const passed = await cache.passedSteps(tree, (rels) => externalsFingerprint(realRoot, rels));
    const toRun: FullStep[] = [];
    for (const step of active) {
      const before = earlier?.results.get(step);
      if (before?.status === 'fail') {
        results.set(step, { id: step, status: 'fail', summary: `same tree as ${earlier?.label}, failed above`, fix: before.fix });
      } else if (passed.has(step)) {
        results.set(step, { id: step, status: 'cached', summary: 'workspace' });
      } else {
        toRun.push(step);
      }
    }

    let where = 'cache';
    if (toRun.length) {
      const base = this.options.config.pushScope === 'affected' ? await this.passedBase(commit, cache) : null;
      const ran = await this.runSteps(commit, tree, toRun, base, env);
      where = ran.where;
      for (const [step, result] of ran.value) results.set(step, result);
      const ok = toRun.filter((s) => results.get(s)?.status === 'pass');
      if (ran.proven) {
        await cache.record(tree, ok, ran.proven).catch((error: Error) => reporter.warn(`could not record the full-check cache (${error.message})`));
      } else if (ok.length) {
        reporter.note(`not cached: ${ran.unproven}`);
      }
    }
    for (const step of FULL_STEPS) reporter.check(results.get(step) as CheckResult);
    if (!earlier) this.seen.set(tree, { label, results });
    return { commit, tree, failed: active.filter((s) => results.get(s)?.status === 'fail'), where };
  }

  /** Runs `steps` on exactly `tree`, in place or in the private checkout (provenTree.ts). */
  private async runSteps(commit: string, tree: string, steps: FullStep[], base: PassedBase | null, baseEnv: NodeJS.ProcessEnv): Promise<ProvenRun<Map<FullStep, CheckResult>>> {
    const { paths, reporter, layout } = this.options;
    const subject = (await git(paths.root, ['log', '-1', '--format=%h %s', commit])).stdout.toString('utf8').trim();
    this.last = null;
    const prove = (cwd: string, env: NodeJS.ProcessEnv, extras: InPlaceState['extras']) => this.provenUnread(cwd, env, extras);
    const { inProvenTree } = await import('./provenTree.js');
    return inProvenTree({ paths, layout, reporter, commit, tree, subject, prove, env: baseEnv }, async (cwd, env) => {
      const results = await this.cargoSteps(cwd, env, steps, tree, base);
      const passed = [...results.values()].every((r) => r.status !== 'fail');
      // The private checkout's disk (#21): what the next push there links again anyway goes now.
      if (cwd !== paths.root && passed && this.options.config.pushScope === 'affected' && env.CARGO_TARGET_DIR) {
        const { dropLinkedExecutables } = await import('./diskCost.js');
        await dropLinkedExecutables(env.CARGO_TARGET_DIR).catch(() => 0);
      }
      return results;
    });
  }

  /**
   * Why the run just made in `cwd` may have read one of `extras` (untracked or ignored entries), or
   * null when cargo's dep-info shows that no unit read any: every crate the run built must have left
   * its records, and none of them may name an extra (inPlace.ts, readOfExtras).
   */
  private async provenUnread(cwd: string, env: NodeJS.ProcessEnv, extras: InPlaceState['extras']): Promise<string | null> {
    const [{ cargoMetadata }, { loadDepInfo, repoRelative, targetDirOf }, { readOfExtras }] = await Promise.all([import('../cargo/crates.js'), import('../cargo/depInfo.js'), import('./inPlace.js')]);
    const members = this.last?.members ?? (await cargoMetadata(cwd).catch(() => null));
    if (!members) return 'cargo metadata failed, so no dep-info shows what the build read';
    const targetDir = await targetDirOf(cwd, env);
    const deps = await loadDepInfo({ repoRoot: cwd, targetDir, members });
    const scope = this.last?.scope ?? { workspace: true, crates: [] };
    const built = scope.workspace ? members.map((m) => m.name) : scope.crates;
    const missing = deps.notCurrent.find((n) => n.why === 'missing' && built.includes(n.crate));
    if (missing) return `the build left no dep-info of ${missing.crate} to show it read none of the ${extras.length} untracked or ignored entries`;
    const rel = repoRelative(targetDir, cwd, cwd);
    return readOfExtras(deps, extras, rel ? `${rel}/` : null);
  }

  /** The nearest ancestor of `commit` (itself excluded) whose tree passed every full-check step. */
  private async passedBase(commit: string, cache: PushCache): Promise<PassedBase | null> {
    const log = await gitText(this.options.paths.root, ['log', '--format=%H %T', `--max-count=${BASE_SEARCH_DEPTH}`, '--skip=1', commit]).catch(() => '');
    const candidates = log.split('\n').filter(Boolean).map((line) => {
      const [c, t] = line.split(' ');
      return { commit: c as string, tree: t as string };
    });
    const { realRoot } = this.options.layout;
    const tree = await cache.firstPassed(candidates.map((c) => c.tree), FULL_STEPS, (rels) => externalsFingerprint(realRoot, rels));
    return candidates.find((c) => c.tree === tree) ?? null;
  }

  /**
   * The scope of this push: the crates affected since `base` (pushScope "affected"), or the
   * workspace when there is no base or the change concerns every crate.
   */
  private async scopeOf(cwd: string, env: NodeJS.ProcessEnv, tree: string, base: PassedBase | null): Promise<{ scope: CrateSelection; fmtScope: CrateSelection; label: string; fmtLabel: string }> {
    const workspace = (why: string) => ({ scope: { workspace: true, crates: [] }, fmtScope: { workspace: true, crates: [] }, label: `workspace${why}`, fmtLabel: `workspace${why}` });
    if (!base) return workspace('');
    const since = `since ${base.commit.slice(0, 7)}`;
    const diff = await gitText(this.options.paths.root, ['diff-tree', '-r', '--no-renames', '--name-only', '-z', base.tree, tree]);
    const [{ cargoMetadata }, { loadDepInfo, targetDirOf }, { affectedCrates }] = await Promise.all([import('../cargo/crates.js'), import('../cargo/depInfo.js'), import('../cargo/affected.js')]);
    const members = await cargoMetadata(cwd).catch(() => null);
    // cargo reports a broken manifest itself, on the workspace.
    if (!members) return workspace('');
    if (this.last) this.last.members = members;
    // What each crate read, as cargo recorded it in the target folder of the tree the check runs in.
    const deps = await loadDepInfo({ repoRoot: cwd, targetDir: await targetDirOf(cwd, env), members });
    const rule = affectedCrates(diff.split('\0').filter(Boolean), members, deps);
    if (rule.workspace) return workspace(` (${rule.because}${rule.because.endsWith(' changed') ? ' ' : ', '}${since})`);
    if (!rule.affected.length) {
      // Only files no unit reads: the cargo verdict of the base stands for this tree.
      const reused = `no crate reads the changes ${since}: its verdict stands`;
      return { scope: { workspace: false, crates: [] }, fmtScope: { workspace: false, crates: [] }, label: reused, fmtLabel: reused };
    }
    return {
      scope: { workspace: false, crates: rule.affected },
      fmtScope: { workspace: false, crates: rule.changed },
      label: `${crateList(rule.affected)} affected ${since}${rule.because ? ` (${rule.because})` : ''}`,
      fmtLabel: rule.changed.length ? `${crateList(rule.changed)} changed ${since}` : `no crate holds a file changed ${since}`,
    };
  }

  private async cargoSteps(cwd: string, env: NodeJS.ProcessEnv, steps: FullStep[], tree: string, base: PassedBase | null): Promise<Map<FullStep, CheckResult>> {
    this.last = { members: null, scope: { workspace: true, crates: [] } };
    const { scope, fmtScope, label, fmtLabel } = await this.scopeOf(cwd, env, tree, base);
    this.last.scope = scope;
    if (!scope.workspace && !scope.crates.length) {
      return new Map(steps.map((s) => [s, { id: s, status: 'pass', summary: label } as CheckResult]));
    }
    const describe = (step: FullStep) => (step === 'fmt' ? fmtLabel : label);
    const [{ runCargo }, { Progress }] = await Promise.all([import('../cargo/runner.js'), import('../progress.js')]);
    return runCargo({
      cwd,
      env,
      steps,
      scope,
      fmtScope,
      profile: null,
      config: this.options.config,
      // The push builds with the dev profile and then tests: a wrapper in the build's fingerprint
      // would make cargo test compile the workspace crates again.
      lint: 'separate',
      colour: colourEnabled(process.stderr),
      progress: new Progress(process.stderr, scope.workspace ? 'the workspace' : label),
      summary: (step) => describe(step),
      failSummary: (step, args, result) =>
        `cargo ${(step === 'fmt' ? fmtScope : scope).workspace ? args.join(' ') : `${args[0]} on ${describe(step)}`} failed (exit ${result.exitCode})`,
      fix: (step, s) => pushFix(step, s),
      tailLines: 80,
    });
  }
}
