import type { ParsedArgs } from '../args.js';
import { CHECK_IDS, isCheckId, type CheckId } from '../checkIds.js';
import { didYouMean } from '../didYouMean.js';
import { GuardError, UsageError } from '../errors.js';
import { pasteable } from '../invocation.js';
import { Reporter, type CheckResult } from '../report.js';

/*
 * `loom-guard check [ID...] [--staged | --all | --range A..B] [--files PATH...] [--json]`: the
 * hooks' checks by hand or in CI, on the state a mode names (the index, HEAD's whole tree, the
 * commits of a range, or with --files alone the working tree), reusing the hooks' own jobs.
 */

type Mode = 'staged' | 'files' | 'all' | 'range';

/** Drops the lines of checks the command line did not ask for (their runs are skipped). */
class SelectedReporter extends Reporter {
  constructor(private readonly only: ReadonlySet<string> | undefined) {
    super();
  }

  override check(result: CheckResult): void {
    if (!this.only || this.only.has(result.id)) super.check(result);
  }
}

/** The ids named on the command line; an unknown one is a usage error with the nearest id. */
export function parseIds(words: string[]): Set<CheckId> | undefined {
  if (!words.length) return undefined;
  const ids = new Set<CheckId>();
  for (const word of words) {
    const id = word.toLowerCase();
    if (isCheckId(id)) {
      ids.add(id);
      continue;
    }
    // `check crates/x/src/lib.rs`: a path where an id was expected.
    const pathHint = /[/.]/.test(word) ? `; to check files, name them after --files (loom-guard check --files ${word})` : '';
    throw new UsageError(`check: unknown check id "${word}"${didYouMean(id, CHECK_IDS)}; valid ids: ${CHECK_IDS.join(', ')}${pathHint}`);
  }
  return ids;
}

/** Which mode the flags ask for; `--files` picks paths of the index (with --staged) or of the working tree. */
export function modeOf(flags: ParsedArgs['flags']): Mode {
  const modes = (['staged', 'all', 'range'] as const).filter((m) => flags[m] !== undefined);
  if (modes.length > 1) throw new UsageError(`check: choose one of --staged, --all, --range (got --${modes.join(', --')})`);
  const files = flags.files !== undefined;
  if (files && (modes[0] === 'all' || modes[0] === 'range')) {
    throw new UsageError(`check: --files picks paths of the working tree (or of the index with --staged); --${modes[0]} judges whole commits: use one or the other`);
  }
  return modes[0] ?? (files ? 'files' : 'staged');
}

/** Ids asked for that this mode has no run for: said, not silently dropped. */
async function unsupported(mode: Mode, only: ReadonlySet<CheckId> | undefined): Promise<string[]> {
  if (!only) return [];
  const { definitionOf } = await import('../checks/definitions.js');
  const notes: string[] = [];
  for (const id of only) {
    const def = definitionOf(id);
    if ((mode === 'staged' && !def.staged) || (mode === 'files' && !def.files)) {
      notes.push(`${id} runs only on pushed tips: loom-guard check ${id} --all (or --range A..B)`);
    }
  }
  return notes;
}

interface Outcome {
  exitCode: number;
  targets: Array<{ label: string; kind: string; results: CheckResult[]; failedCommits: Array<{ sha: string; subject: string }> }>;
}

async function runMode(mode: Mode, args: ParsedArgs, only: ReadonlySet<CheckId> | undefined, reporter: SelectedReporter): Promise<Outcome> {
  const cwd = process.cwd();
  const files = args.flags.files as string[] | undefined;
  if (mode === 'staged' || mode === 'files') {
    const { repoPaths } = await import('../git.js');
    const { namedPaths, runFiles } = await import('../filesRun.js');
    const named = files ? await namedPaths((await repoPaths(cwd)).root, cwd, files) : null;
    let exitCode;
    if (mode === 'files' && named) {
      exitCode = await runFiles(cwd, reporter, { only, files: named.files });
    } else {
      const { runStaged } = await import('../staged.js');
      exitCode = await runStaged(cwd, reporter, { only, ...(named ? { paths: named.accepts } : {}), what: 'check --staged' });
    }
    return { exitCode, targets: [{ label: mode === 'files' ? 'working tree' : 'index', kind: mode, results: reporter.results, failedCommits: [] }] };
  }
  const { gitText, headCommit, resolveCommit } = await import('../git.js');
  const { parseRevListParents } = await import('../push/refs.js');
  const { runPushJob } = await import('../push/job.js');
  let target;
  if (mode === 'all') {
    const head = await headCommit(cwd);
    if (!head) throw new GuardError('check --all: there is no commit yet: commit first (or use check --staged)');
    target = { label: 'HEAD', kind: 'whole tree', commits: [{ sha: head, parent: null }], tip: head, whole: true };
  } else {
    const range = String(args.flags.range);
    const match = /^(.+?)\.\.(?!\.)(.+)$/.exec(range);
    if (!match || range.includes('...')) throw new UsageError(`check --range: expected A..B (two dots), got "${range}"`);
    const [, from, to] = match as unknown as [string, string, string];
    const a = await resolveCommit(cwd, from);
    const b = await resolveCommit(cwd, to);
    if (!a) throw new UsageError(`check --range: "${from}" names no commit here: fetch it or fix the range`);
    if (!b) throw new UsageError(`check --range: "${to}" names no commit here: fetch it or fix the range`);
    const out = await gitText(cwd, ['rev-list', '--reverse', '--topo-order', '--parents', b, '--not', a, '--']);
    target = { label: range, kind: 'range', commits: parseRevListParents(out), tip: b };
  }
  const result = await runPushJob(cwd, [target], { what: `check --${mode}`, reporter, only });
  return {
    exitCode: result.exitCode,
    targets: result.targets.map((t) => ({ label: t.label, kind: t.kind, results: t.results, failedCommits: t.failedCommits.map((c) => ({ sha: c.sha, subject: c.subject })) })),
  };
}

const forJson = (r: CheckResult): CheckResult => ({ ...r, ...(r.fix ? { fix: pasteable(r.fix) } : {}) });

export async function run(args: ParsedArgs): Promise<number> {
  const json = args.flags.json === true;
  let mode: Mode | null = null;
  let only: Set<CheckId> | undefined;
  try {
    mode = modeOf(args.flags);
    only = parseIds(args.positionals);
    const reporter = new SelectedReporter(only);
    for (const note of await unsupported(mode, only)) reporter.note(note);
    const outcome = await runMode(mode, args, only, reporter);
    if (json) {
      const document = {
        exitCode: outcome.exitCode,
        mode,
        checks: only ? [...only] : null,
        results: reporter.results.map(forJson),
        targets: outcome.targets.map((t) => ({ ...t, results: t.results.map(forJson) })),
      };
      process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    }
    return outcome.exitCode;
  } catch (error) {
    // --json always answers on stdout, a usage or set-up error too; the line on stderr stays.
    if (json && error instanceof GuardError) {
      process.stdout.write(`${JSON.stringify({ exitCode: error.exitCode, mode, checks: only ? [...only] : null, error: pasteable(error.message), results: [], targets: [] }, null, 2)}\n`);
    }
    throw error;
  }
}
