import type { ParsedArgs } from '../args.js';
import { GuardError, UsageError } from '../errors.js';

export async function run(args: ParsedArgs): Promise<number> {
  const modes = ['staged', 'all', 'range'].filter((m) => args.flags[m] !== undefined);
  if (modes.length > 1) throw new UsageError(`check: choose one of --staged, --all, --range (got --${modes.join(', --')})`);
  if (args.positionals.length) throw new UsageError(`check: unexpected argument "${args.positionals[0]}" (see loom-guard check --help)`);
  const mode = modes[0] ?? 'staged';
  if (mode === 'staged') {
    const { runStaged } = await import('../staged.js');
    return runStaged(process.cwd());
  }
  const cwd = process.cwd();
  const { gitText, headCommit, resolveCommit } = await import('../git.js');
  const { parseRevListParents } = await import('../push/refs.js');
  const { runPushJob } = await import('../push/job.js');
  let target;
  if (mode === 'all') {
    // HEAD's whole tree: the full check on it, the per-commit rules on HEAD against its parent.
    const head = await headCommit(cwd);
    if (!head) throw new GuardError('check --all: there is no commit yet: commit first (or use check --staged)');
    const parents = (await gitText(cwd, ['rev-list', '--parents', '-n', '1', head])).trim().split(' ');
    target = { label: 'HEAD', kind: 'whole tree', commits: [{ sha: head, parent: parents[1] ?? null }], tip: head };
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
  const result = await runPushJob(cwd, [target], { what: `check --${mode}` });
  if (args.flags.json) {
    process.stdout.write(
      `${JSON.stringify({ exitCode: result.exitCode, targets: result.targets.map((t) => ({ label: t.label, results: t.results, failedCommits: t.failedCommits.map((c) => ({ sha: c.sha, subject: c.subject })) })) }, null, 2)}\n`,
    );
  }
  return result.exitCode;
}
