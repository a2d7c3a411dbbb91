import type { CheckId } from '../checkIds.js';
import { GuardError } from '../errors.js';
import { commandExists } from '../proc.js';
import { colourEnabled, type CheckResult } from '../report.js';
import { indexManifests, MetadataError, mayConcernCargo, readCachedMembers, workspaceMembers, type WorkspaceCrate } from '../cargo/crates.js';
import { reachOf, selectReading } from '../cargo/affected.js';
import { loadDepInfo, targetDirOf, type DepInfo } from '../cargo/depInfo.js';
import { describeSelection, fixFor, hookProfile, type CargoStep } from '../cargo/steps.js';
import { runCargo } from '../cargo/runner.js';
import { Progress } from '../progress.js';
import { inStagedTree } from '../isolate/shared.js';
import type { CheckContext, CheckGroupRun } from './types.js';

/*
 * fmt, clippy and build on exactly the staged crates (pre-commit). The crates come from the staged
 * paths: the crate whose folder holds each, and every crate whose units read it per cargo's
 * dep-info (cargo/affected.ts); the checks run on a working tree that holds exactly the index
 * (src/isolate: the run's shared tree, which lint-staged uses after this group), put back byte for
 * byte after the last check.
 *
 * The records are read before the staged tree is set up: hiding unstaged edits rewrites files,
 * which would make every record that read them look older than the tree.
 */

const records = async (root: string, members: readonly WorkspaceCrate[]): Promise<DepInfo> =>
  loadDepInfo({ repoRoot: root, targetDir: await targetDirOf(root), members });

const inactive = (ids: CheckId[], summary: string): CheckResult[] => ids.map((id) => ({ id, status: 'inactive', summary }));

const run: CheckGroupRun = async (ctx: CheckContext, ids: CheckId[]) => {
  // The pre-push job checks whole trees with its own steps; this group judges the index only.
  if (ctx.target.kind !== 'index') return inactive(ids, 'pre-commit only');
  const { root, gitDir } = ctx.paths;

  const paths = ctx.changes.flatMap((c) => (c.oldPath ? [c.path, c.oldPath] : [c.path]));
  const manifests = await indexManifests(root);
  if (!manifests.hasRoot) return inactive(ids, 'no Cargo.toml at the repository root');
  const rootManifest = await ctx.reader.readText(ctx.target, 'Cargo.toml');
  const rootIsPackage = /^\s*\[package\]/m.test(rootManifest ?? '');
  const cached = await readCachedMembers(gitDir, manifests.key);
  let deps = cached ? await records(root, cached) : null;
  if (!mayConcernCargo(paths, manifests, rootIsPackage)) {
    // Only files outside every crate folder: cargo's concern only if a unit read one, or if some
    // crate's records cannot tell. Without the member list there is nothing to judge by yet.
    const reach = cached && deps ? reachOf(paths, cached, deps) : null;
    if (reach && !reach.workspace && !reach.readers.length) return inactive(ids, 'no Rust changes staged');
  }

  if (!(await commandExists('cargo'))) {
    throw new GuardError('cargo is not on PATH: install Rust (https://rustup.rs), or skip these checks once with LOOM_GUARD_SKIP=fmt,clippy,build');
  }

  const profile = await hookProfile(rootManifest, ctx.config.profile, ctx.reporter);

  const started = performance.now();
  return inStagedTree(ctx.stagedTree, ctx.paths, ctx.reporter, async (edits) => {
    let members;
    try {
      members = await workspaceMembers(root, gitDir, manifests.key);
    } catch (error) {
      if (!(error instanceof MetadataError)) throw error;
      const [first, ...rest] = ids;
      return [
        { id: first as CheckId, status: 'fail', summary: 'cargo metadata failed', details: error.output, fix: 'fix the Cargo.toml named above, then git add it', durationMs: performance.now() - started },
        ...rest.map((id): CheckResult => ({ id, status: 'skip', summary: 'not run: cargo metadata failed' })),
      ];
    }
    // Records are attributed to members: read them again when the members are not the cached ones.
    if (!deps || JSON.stringify(members) !== JSON.stringify(cached)) deps = await records(root, members);
    // A widened selection says why on its summary line (describeSelection).
    const selection = selectReading(paths, members, deps);
    if (!selection.crates.length) return inactive(ids, 'no workspace crate staged');
    // "fmt": "fix" formats and stages instead of checking (fmtFix.ts), before clippy reads the tree.
    const fixing = ctx.config.fmt === 'fix' && ids.includes('fmt');
    const fixed = fixing
      ? await (await import('./fmtFix.js')).fixFormatting({ root, edits, selection, members, staged: ctx.changes.filter((c) => c.status !== 'D').map((c) => c.path), config: ctx.config })
      : null;
    const steps = ids.filter((id): id is CargoStep => (id === 'fmt' && !fixing) || id === 'clippy' || id === 'build');
    const results = await runCargo({
      cwd: root,
      env: process.env,
      steps,
      scope: selection,
      profile,
      config: ctx.config,
      lint: ctx.config.lint,
      colour: colourEnabled(process.stderr),
      progress: new Progress(process.stderr, describeSelection(selection)),
      summary: (_step, scope) => describeSelection(scope),
      fix: (step, scope) => fixFor(step, scope, profile),
    });
    const ran = steps.map((s) => results.get(s) as CheckResult);
    if (!fixed) return ran;
    // The formatting is staged only when every check of the group passed; else the tree gets its
    // earlier bytes back before the next check runs (SharedStagedTree.betweenChecks) or with the
    // restore (the fix was journaled), and the index is untouched.
    if (fixed.result.status === 'pass' && ran.every((r) => r.status !== 'fail')) await fixed.commit();
    else if (fixed.result.status === 'pass' && fixed.result.summary?.startsWith('reformatted and staged ')) {
      fixed.result.summary = `${fixed.result.summary.replace('reformatted and staged ', 'would reformat ')} (not staged: another check failed)`;
    }
    return [fixed.result, ...ran];
  });
};

export default run;
