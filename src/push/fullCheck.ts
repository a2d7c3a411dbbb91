import type { CheckId } from '../checkIds.js';
import { cargoTipIds } from '../checks/definitions.js';
import type { Config } from '../config.js';
import { git, gitText, type RepoPaths } from '../git.js';
import { cargoOutput } from '../cargo/steps.js';
import { run } from '../proc.js';
import { Progress } from '../progress.js';
import type { CheckResult, Reporter } from '../report.js';
import { isSkipped, type SkipRequest } from '../skip.js';
import type { PushCache } from './cache.js';
import { externalsFingerprint } from './externals.js';
import { inProvenTree, type ProvenRun } from './provenTree.js';
import type { PushTreeLayout } from './pushTree.js';

/*
 * The full check on one pushed commit: the four workspace-wide cargo steps, on exactly that
 * commit's tree. In place when the working tree is provably that commit (inPlace.ts); otherwise
 * in the private checkout (pushTree.ts), verified before use, with its own persistent target
 * folder. A verdict is cached only when it was obtained in a tree proven equal to the commit.
 */

export type FullStep = Extract<CheckId, 'fmt' | 'clippy' | 'build' | 'test'>;
/** The definitions whose tip run is a cargo step (checks/definitions.ts), in their order. */
export const FULL_STEPS = cargoTipIds() as readonly FullStep[];

/**
 * The cargo command of each step. config.cargoArgs go to cargo itself, before the `--` that
 * starts the tool's own arguments (e.g. `"clippy": ["--all-targets"]`).
 */
export function cargoCommand(step: FullStep, config: Config): string[] {
  const extra = config.cargoArgs[step];
  switch (step) {
    case 'fmt':
      return ['fmt', '--all', ...extra, '--', '--check'];
    case 'clippy':
      return ['clippy', '--workspace', ...extra, '--', '-D', 'warnings'];
    case 'build':
      return ['build', '--workspace', ...extra];
    case 'test':
      return ['test', '--workspace', ...extra];
  }
}

const FIX: Record<FullStep, string> = {
  fmt: 'cargo fmt --all, commit, push again',
  clippy: 'fix the warnings above (cargo clippy --workspace -- -D warnings), commit, push again',
  build: 'fix the errors above (cargo build --workspace), commit, push again',
  test: 'fix the failing tests above (cargo test --workspace), commit, push again',
};

/** The end of a tool's output: where cargo puts the error and the test summary. */
export function tail(text: string, lines = 80): string {
  const all = text.trimEnd().split('\n');
  if (all.length <= lines) return all.join('\n');
  return [`… (${all.length - lines} earlier lines not shown)`, ...all.slice(-lines)].join('\n');
}

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
  layout: PushTreeLayout;
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
      const ran = await this.runSteps(commit, tree, toRun);
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
  private async runSteps(commit: string, tree: string, steps: FullStep[]): Promise<ProvenRun<Map<FullStep, CheckResult>>> {
    const { paths, reporter, layout } = this.options;
    const subject = (await git(paths.root, ['log', '-1', '--format=%h %s', commit])).stdout.toString('utf8').trim();
    return inProvenTree({ paths, layout, reporter, commit, tree, subject }, (cwd, env) => this.cargoSteps(cwd, env, steps));
  }

  private async cargoSteps(cwd: string, env: NodeJS.ProcessEnv, steps: FullStep[]): Promise<Map<FullStep, CheckResult>> {
    const results = new Map<FullStep, CheckResult>();
    const progress = new Progress(process.stderr, 'the workspace');
    for (const step of steps) {
      if (step === 'test' && results.get('build')?.status === 'fail') {
        results.set(step, { id: step, status: 'fail', summary: 'not run: the build failed', fix: FIX.build });
        continue;
      }
      const args = cargoCommand(step, this.options.config);
      progress.start(step);
      let result;
      try {
        result = await run('cargo', args, { cwd, env });
      } catch (error) {
        results.set(step, {
          id: step,
          status: 'fail',
          summary: 'cargo could not be started',
          details: (error as Error).message,
          fix: 'install the Rust toolchain (rustup) so cargo is on PATH',
        });
        continue;
      } finally {
        progress.stop(step);
      }
      const ok = result.exitCode === 0;
      results.set(step, {
        id: step,
        status: ok ? 'pass' : 'fail',
        summary: ok ? 'workspace' : `cargo ${args.join(' ')} failed (exit ${result.exitCode})`,
        details: ok ? undefined : tail(cargoOutput(result)),
        fix: ok ? undefined : FIX[step],
        durationMs: result.durationMs,
      });
    }
    return results;
  }
}
