import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { Reporter } from '../report.js';

/** Everything git wrote on stdin (nothing when a person runs the command at a terminal). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(args: ParsedArgs): Promise<number> {
  const [remote, url] = args.positionals;
  if (!remote || args.positionals.length > 2) {
    throw new UsageError('pre-push: expected <remote> <url> (git passes them to the pre-push hook), with the ref lines on stdin');
  }
  const { parsePushLines, resolvePushes, refLabel } = await import('../push/refs.js');
  const { runPushJob, refusalHint } = await import('../push/job.js');
  const { repoPaths } = await import('../git.js');
  const lines = parsePushLines(await readStdin());
  const reporter = new Reporter();
  if (!lines.length) {
    reporter.note('pre-push: no refs on stdin, nothing to check');
    return 0;
  }
  const cwd = process.cwd();
  // Asked while the refs are resolved; awaited (and its error reported) by the job.
  const paths = repoPaths(cwd);
  paths.catch(() => undefined);
  const KIND = { delete: 'deleted', new: 'new branch', update: 'update', 'force-unknown': 'force push over commits not known here' } as const;
  const targets = (await resolvePushes(cwd, remote, lines)).map(({ plan, tip, commits }) => ({
    label: refLabel(plan),
    kind: plan.tag && plan.kind === 'new' ? 'new tag' : KIND[plan.kind],
    commits,
    tip,
  }));
  process.stderr.write(`loom-guard pre-push → ${remote}${url && url !== remote ? ` (${url})` : ''}\n`);
  const result = await runPushJob(cwd, targets, { what: 'pre-push', reporter, paths });
  if (result.exitCode !== 0) reporter.error(refusalHint(result.targets));
  // A build that ran (in place) left dep-info: pre-commit's shim learns the files read outside the crates.
  const cargoRan = result.targets.some((t) => t.results.some((r) => (r.id === 'build' || r.id === 'test') && (r.status === 'pass' || r.status === 'fail')));
  if (cargoRan) {
    const { refreshStaleShim } = await import('../install.js');
    await paths.then((p) => refreshStaleShim(p, { cargoRan: true })).catch(() => false);
  }
  return result.exitCode;
}
