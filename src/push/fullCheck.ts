import { relative } from 'node:path';
import type { CheckId } from '../checkIds.js';
import type { Config } from '../config.js';
import { git, gitText, headCommit, type RepoPaths } from '../git.js';
import { affectedCrates } from '../cargo/affected.js';
import { cargoMetadata, type CrateSelection } from '../cargo/crates.js';
import { runCargo } from '../cargo/runner.js';
import { describeSelection, packageArgs, tail } from '../cargo/steps.js';
import { run } from '../proc.js';
import { Progress } from '../progress.js';
import { colourEnabled, type CheckResult, type Reporter } from '../report.js';
import { isSkipped, type SkipRequest } from '../skip.js';
import type { PushCache } from './cache.js';
import { lockPushTree, pushTreeLayout, syncPushTree } from './pushTree.js';

/*
 * The full check on one pushed commit: the four cargo steps (src/cargo/runner.ts) on exactly that
 * commit's tree, for the crates affected since a tree that passed, or the workspace. In place when the working tree is that commit and nothing else; otherwise in
 * the private checkout (pushTree.ts) with its own persistent target folder.
 */

export type FullStep = Extract<CheckId, 'fmt' | 'clippy' | 'build' | 'test'>;
export const FULL_STEPS: readonly FullStep[] = ['fmt', 'clippy', 'build', 'test'];

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
  cache: PushCache;
}

export class FullChecker {
  /** Results by tree within this run: two refs at one tree are checked once. */
  private readonly seen = new Map<string, { label: string; results: Map<FullStep, CheckResult> }>();

  constructor(private readonly options: FullCheckerOptions) {}

  /** Runs (or recalls) the full check on `commit`, reporting one line per step. */
  async check(commit: string, label: string): Promise<FullCheckOutcome> {
    const { paths, reporter, skip, cache } = this.options;
    const tree = (await gitText(paths.root, ['rev-parse', `${commit}^{tree}`])).trim();
    const active = FULL_STEPS.filter((s) => !isSkipped(skip, s));
    const results = new Map<FullStep, CheckResult>();
    for (const s of FULL_STEPS) if (!active.includes(s)) results.set(s, { id: s, status: 'skip', summary: `skipped (${skip.source})` });

    const earlier = this.seen.get(tree);
    const passed = await cache.passedSteps(tree);
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
      const base = this.options.config.pushScope === 'affected' ? await this.passedBase(commit) : null;
      const ran = await this.runSteps(commit, tree, toRun, base);
      where = ran.where;
      for (const [step, result] of ran.results) results.set(step, result);
      const ok = toRun.filter((s) => results.get(s)?.status === 'pass');
      await cache.record(tree, ok).catch((error: Error) => reporter.warn(`could not record the full-check cache (${error.message})`));
    }
    for (const step of FULL_STEPS) reporter.check(results.get(step) as CheckResult);
    if (!earlier) this.seen.set(tree, { label, results });
    return { commit, tree, failed: active.filter((s) => results.get(s)?.status === 'fail'), where };
  }

  /** True when the working tree is exactly `commit`: HEAD is it and git status shows nothing. */
  private async inPlace(commit: string): Promise<boolean> {
    const { root } = this.options.paths;
    if ((await headCommit(root)) !== commit) return false;
    // GIT_OPTIONAL_LOCKS=0: git status must not write the user's index while refreshing it.
    const result = await run('git', ['status', '--porcelain', '-z', '--untracked-files=normal'], {
      cwd: root,
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    });
    return result.exitCode === 0 && result.stdout.length === 0;
  }

  /** The nearest ancestor of `commit` (itself excluded) whose tree passed every full-check step. */
  private async passedBase(commit: string): Promise<PassedBase | null> {
    const log = await gitText(this.options.paths.root, ['log', '--format=%H %T', `--max-count=${BASE_SEARCH_DEPTH}`, '--skip=1', commit]).catch(() => '');
    const candidates = log.split('\n').filter(Boolean).map((line) => {
      const [c, t] = line.split(' ');
      return { commit: c as string, tree: t as string };
    });
    const tree = await this.options.cache.firstPassed(candidates.map((c) => c.tree), FULL_STEPS);
    return candidates.find((c) => c.tree === tree) ?? null;
  }

  private async runSteps(commit: string, tree: string, steps: FullStep[], base: PassedBase | null): Promise<{ where: string; results: Map<FullStep, CheckResult> }> {
    const { paths, reporter } = this.options;
    const subject = (await git(paths.root, ['log', '-1', '--format=%h %s', commit])).stdout.toString('utf8').trim();
    if (await this.inPlace(commit)) {
      reporter.note(`full check of ${subject}: in the working tree (it is that commit, unchanged)`);
      return { where: 'in place', results: await this.cargoSteps(paths.root, process.env, steps, tree, base) };
    }
    const layout = pushTreeLayout(paths.commonDir);
    const shown = relative(paths.root, layout.tree) || layout.tree;
    const release = await lockPushTree(layout, (pid) => reporter.note(`waiting for another loom-guard run (process ${pid}) to finish with ${shown}`));
    try {
      const started = performance.now();
      await syncPushTree(paths.root, layout, tree);
      const ms = Math.round(performance.now() - started);
      reporter.note(`full check of ${subject}: in the private checkout ${shown} (updated in ${ms}ms; target ${relative(paths.root, layout.target) || layout.target})`);
      const env: NodeJS.ProcessEnv = { ...process.env, CARGO_TARGET_DIR: layout.target };
      for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[key];
      return { where: shown, results: await this.cargoSteps(layout.tree, env, steps, tree, base) };
    } finally {
      await release();
    }
  }

  /**
   * The scope of this push: the crates affected since `base` (pushScope "affected"), or the
   * workspace when there is no base or the change concerns every crate.
   */
  private async scopeOf(cwd: string, tree: string, base: PassedBase | null): Promise<{ scope: CrateSelection; fmtScope: CrateSelection; label: string; fmtLabel: string }> {
    const workspace = (why: string) => ({ scope: { workspace: true, crates: [] }, fmtScope: { workspace: true, crates: [] }, label: `workspace${why}`, fmtLabel: `workspace${why}` });
    if (!base) return workspace('');
    const since = `since ${base.commit.slice(0, 7)}`;
    const diff = await gitText(this.options.paths.root, ['diff-tree', '-r', '--no-renames', '--name-only', '-z', base.tree, tree]);
    const members = await cargoMetadata(cwd).catch(() => null);
    // cargo reports a broken manifest itself, on the workspace.
    if (!members) return workspace('');
    const rule = affectedCrates(diff.split('\0').filter(Boolean), members);
    if (rule.workspace) return workspace(` (${rule.because} ${since})`);
    return {
      scope: { workspace: false, crates: rule.affected },
      fmtScope: { workspace: false, crates: rule.changed },
      label: `${crateList(rule.affected)} affected ${since}`,
      fmtLabel: `${crateList(rule.changed)} changed ${since}`,
    };
  }

  private async cargoSteps(cwd: string, env: NodeJS.ProcessEnv, steps: FullStep[], tree: string, base: PassedBase | null): Promise<Map<FullStep, CheckResult>> {
    const { scope, fmtScope, label, fmtLabel } = await this.scopeOf(cwd, tree, base);
    if (!scope.workspace && !scope.crates.length) {
      return new Map(steps.map((s) => [s, { id: s, status: 'pass', summary: 'no crate changed' } as CheckResult]));
    }
    const describe = (step: FullStep) => (step === 'fmt' ? fmtLabel : label);
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
