import type { CheckId } from '../checkIds.js';
import { cargoMetadata, MetadataError, selectCrates } from '../cargo/crates.js';
import { runCargo } from '../cargo/runner.js';
import { describeSelection, fixFor, hookProfile, type CargoStep } from '../cargo/steps.js';
import { GuardError } from '../errors.js';
import { commandExists } from '../proc.js';
import { Progress } from '../progress.js';
import { colourEnabled, type CheckResult } from '../report.js';
import type { CheckContext, CheckGroupRun } from './types.js';

/*
 * fmt, clippy and build for `check --files`: on the crates that hold the named paths (the same
 * selection as pre-commit, src/cargo/crates.ts), on the working tree as it is. Nothing is hidden
 * and nothing is rewritten: `"fmt": "fix"` checks here, it formats only what a commit stages.
 */

const inactive = (ids: CheckId[], summary: string): CheckResult[] => ids.map((id) => ({ id, status: 'inactive', summary }));

const run: CheckGroupRun = async (ctx: CheckContext, ids: CheckId[]) => {
  if (ctx.target.kind !== 'worktree') return inactive(ids, 'check --files only');
  const { root } = ctx.paths;
  const rootManifest = await ctx.reader.readText(ctx.target, 'Cargo.toml');
  if (rootManifest === null) return inactive(ids, 'no Cargo.toml at the repository root');
  if (!(await commandExists('cargo'))) {
    throw new GuardError('cargo is not on PATH: install Rust (https://rustup.rs), or leave these checks out: loom-guard check nix-sync migrations lint-staged --files …');
  }
  const started = performance.now();
  let members;
  try {
    // The working tree's own manifests: what cargo reads here, staged or not.
    members = await cargoMetadata(root);
  } catch (error) {
    if (!(error instanceof MetadataError)) throw error;
    const [first, ...rest] = ids;
    return [
      { id: first as CheckId, status: 'fail', summary: 'cargo metadata failed', details: error.output, fix: 'fix the Cargo.toml named above', durationMs: performance.now() - started },
      ...rest.map((id): CheckResult => ({ id, status: 'skip', summary: 'not run: cargo metadata failed' })),
    ];
  }
  const paths = ctx.changes.flatMap((c) => (c.oldPath ? [c.path, c.oldPath] : [c.path]));
  const selection = selectCrates(paths, members);
  if (!selection.crates.length) return inactive(ids, 'no workspace crate among the files');
  const profile = await hookProfile(rootManifest, ctx.config.profile, ctx.reporter);
  const steps = ids.filter((id): id is CargoStep => id === 'fmt' || id === 'clippy' || id === 'build');
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
  return steps.map((s) => results.get(s) as CheckResult);
};

export default run;
