import { access } from 'node:fs/promises';
import { join } from 'node:path';
import kleur from 'kleur';
import { loadConfig, type Config } from '../config.js';
import { BlobReader, commitSource, repoPaths, type RepoPaths } from '../git.js';
import { resolveToolchain, TOOLCHAIN_FILES, type ToolchainDecision } from '../cargo/toolchain.js';
import { Reporter, type CheckResult } from '../report.js';
import { announceSkips } from '../runChecks.js';
import { withOnly } from '../skip.js';
import type { CheckId } from '../checkIds.js';
import { PushCache, verdictFingerprint } from './cache.js';
import { describeCommits, runCommitChecks, runWholeTreeChecks, type CommitInfo } from './commitChecks.js';
import { FullChecker, type VerdictContext } from './fullCheck.js';
import { pushTreeLayout, type PushTreeLayout } from './pushTree.js';
import { runTipChecks } from './tipChecks.js';
import type { PushedCommit } from './refs.js';

/*
 * The push job shared by the pre-push hook and `check --range/--all`: for each target (a pushed
 * ref, a range, HEAD) the per-commit rules on its commits, then the full check on its tip.
 */

export interface PushTarget {
  /** How the target is named in the output: `main`, `tag v1`, `A..B`. */
  label: string;
  /** What kind of update it is, for the header: `update`, `new branch`, `deleted`. */
  kind: string;
  /** Commits to run the per-commit rules on, oldest first. */
  commits: PushedCommit[];
  /** The commit the full check runs on, or null (a deletion). */
  tip: string | null;
  /**
   * Judge the tip's whole tree (`check --all`): the per-commit rules on its whole state instead
   * of on each commit's change, and the cargo steps on the whole workspace.
   */
  whole?: boolean;
}

export interface TargetOutcome {
  label: string;
  kind: string;
  failedCommits: CommitInfo[];
  failedSteps: string[];
  results: CheckResult[];
}

export interface PushJobResult {
  exitCode: number;
  targets: TargetOutcome[];
}

export async function runPushJob(
  cwd: string,
  targets: PushTarget[],
  options: { what: string; reporter?: Reporter; out?: (text: string) => void; only?: ReadonlySet<CheckId>; paths?: Promise<RepoPaths> },
): Promise<PushJobResult> {
  const started = performance.now();
  const reporter = options.reporter ?? new Reporter();
  const out = options.out ?? ((text: string) => void process.stderr.write(text));
  const skip = withOnly(announceSkips(reporter), options.only);
  if (skip.all) return { exitCode: 0, targets: [] };
  const paths = await (options.paths ?? repoPaths(cwd));
  const [{ config }, layout] = await Promise.all([loadConfig(paths.root), pushTreeLayout(paths)]);
  // One `git cat-file --batch` for the run, the toolchain files of each pushed commit included.
  const reader = new BlobReader(paths.root);
  const contextFor = verdictContexts(paths, config, layout, reporter, reader);
  // Started now, so that `rustc -vV` and `cargo -V` run while the per-commit rules do.
  for (const t of targets) if (t.tip) contextFor(t.tip, false).catch(() => undefined);
  const full = new FullChecker({ paths, config, reporter, skip, contextFor, layout });
  // A whole tree is checked on the whole workspace, whatever pushScope says for pushes.
  const wholeFull = targets.some((t) => t.whole) ? new FullChecker({ paths, config: { ...config, pushScope: 'workspace' }, reporter, skip, contextFor, layout }) : full;
  const outcomes: TargetOutcome[] = [];
  const checkedCommits = new Set<string>();
  try {
    for (const target of targets) {
      const first = reporter.results.length;
      const fresh = target.commits.filter((c) => !checkedCommits.has(c.sha));
      const again = target.commits.length - fresh.length;
      const counted = `${target.commits.length} commit${target.commits.length === 1 ? '' : 's'}`;
      const extent = target.whole && target.tip ? ` at ${target.tip.slice(0, 7)}` : target.tip ? `, ${counted}${again ? ` (${again} checked above)` : ''}` : '';
      out(`${kleur.bold(target.label)}  ${target.kind}${extent}\n`);
      if (!target.tip) {
        outcomes.push({ label: target.label, kind: target.kind, failedCommits: [], failedSteps: [], results: [] });
        continue;
      }
      for (const c of fresh) checkedCommits.add(c.sha);
      const infos = await describeCommits(paths.root, fresh);
      const commitOptions = { paths, config, reader, reporter, skip };
      const failedCommits = target.whole ? await runWholeTreeChecks((await describeCommits(paths.root, [{ sha: target.tip, parent: null }]))[0] as CommitInfo, commitOptions) : await runCommitChecks(infos, commitOptions);
      const { failed } = await (target.whole ? wholeFull : full).check(target.tip, target.label);
      await runTipChecks({ paths, config, reporter, tip: target.tip, commits: target.commits }, skip);
      outcomes.push({ label: target.label, kind: target.kind, failedCommits, failedSteps: failed, results: reporter.results.slice(first) });
    }
  } finally {
    reader.close();
  }
  const checked = outcomes.filter((o) => o.results.length);
  if (checked.length) reporter.summary(performance.now() - started, options.what);
  const refused = outcomes.some((o) => o.results.some((r) => r.status === 'fail'));
  if (outcomes.length > 1 || refused) {
    for (const o of outcomes) {
      const bad = o.results.filter((r) => r.status === 'fail').map((r) => r.id);
      const state = !o.results.length
        ? kleur.dim(`${o.kind}: nothing to check`)
        : bad.length
          ? kleur.red(`✖ failed: ${[...new Set(bad)].join(', ')}`)
          : kleur.green('✔ passed');
      out(`  ${o.label}  ${state}\n`);
    }
  }
  return { exitCode: refused ? 1 : 0, targets: outcomes };
}

/**
 * The verdict context of each pushed commit: one toolchain decision (src/cargo/toolchain.ts) made
 * for the repository's path and the commit's toolchain file, passed as RUSTUP_TOOLCHAIN to the run
 * in place and in the private checkout alike, and part of the cache key. The verdict cache stays in
 * the git dir (small, per repository); its fingerprint is taken for the private checkout's place,
 * which in place is only used when it reads the same config files.
 */
function verdictContexts(paths: RepoPaths, config: Config, layout: PushTreeLayout, reporter: Reporter, reader: BlobReader): (commit: string, announce?: boolean) => Promise<VerdictContext> {
  const byCommit = new Map<string, Promise<VerdictContext & { decision: ToolchainDecision | null }>>();
  const byToolchain = new Map<string, VerdictContext>();
  const told = new Set<string>();
  const contextOf = (decision: ToolchainDecision | null): VerdictContext => {
    const key = decision?.toolchain ?? '';
    let context = byToolchain.get(key);
    if (!context) {
      const env: NodeJS.ProcessEnv = decision ? { ...process.env, RUSTUP_TOOLCHAIN: decision.toolchain } : process.env;
      const fingerprint = verdictFingerprint(paths.root, config, layout.tree, env);
      fingerprint.catch(() => undefined); // awaited by the cache; never an unhandled rejection meanwhile
      context = { cache: new PushCache(join(paths.commonDir, 'loom-guard'), fingerprint), env };
      byToolchain.set(key, context);
    }
    return context;
  };
  const decide = async (commit: string): Promise<VerdictContext & { decision: ToolchainDecision | null }> => {
    // Where the working tree has no toolchain file at its root, the pushed commit almost surely has
    // none either: the fingerprint of that decision (`rustc -vV`, `cargo -V`) starts while git
    // answers for the commit. The decision itself always waits for the commit's own files.
    const inTree = await Promise.all(TOOLCHAIN_FILES.map((name) => access(join(paths.root, name)).then(() => true, () => false)));
    if (!inTree.some(Boolean)) contextOf(await resolveToolchain(layout.realRoot, async () => null));
    const decision = await resolveToolchain(layout.realRoot, (name) => reader.readText(commitSource(commit), name));
    return { ...contextOf(decision), decision };
  };
  return async (commit, announce = true) => {
    let found = byCommit.get(commit);
    if (!found) {
      found = decide(commit);
      byCommit.set(commit, found);
    }
    const { decision, ...context } = await found;
    // The default toolchain goes without saying; anything else is said once per run.
    if (announce && decision && decision.source !== 'rustup default' && !told.has(decision.toolchain)) {
      told.add(decision.toolchain);
      reporter.note(`toolchain ${decision.toolchain} (${decision.source}), in place and in the private checkout alike`);
    }
    return context;
  };
}

/** The closing line of a refused push: git pushes all refs or none. */
export function refusalHint(outcomes: TargetOutcome[]): string {
  const ids = [...new Set(outcomes.flatMap((o) => o.results.filter((r) => r.status === 'fail').map((r) => r.id)))];
  const refs = outcomes.length > 1 ? `all ${outcomes.length} refs of this push are refused (git pushes all or none)` : 'the push is refused';
  return `${refs}: fix what failed and push again; to push anyway once: LOOM_GUARD_SKIP=${ids.join(',')} git push (or git push --no-verify)`;
}
