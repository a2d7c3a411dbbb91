import type { CheckId } from '../checkIds.js';
import { commitGroups as definedCommitGroups } from '../checks/definitions.js';
import type { CheckGroup } from '../checks/types.js';
import type { Config } from '../config.js';
import { commitSource, getChangesBetween, git, gitText, type BlobReader, type RepoPaths } from '../git.js';
import { Reporter, type CheckResult, type ReporterStream } from '../report.js';
import { runCheckGroups } from '../runChecks.js';
import type { SkipRequest } from '../skip.js';
import type { PushedCommit } from './refs.js';

/*
 * The per-commit rules (the checks whose definition has a `commit` run: nix-sync, migrations) on
 * every pushed commit, each against its first parent, so a broken middle commit is caught even
 * when the tip repairs it: trunk must be deployable at every commit.
 */

export function commitGroups(): CheckGroup[] {
  return definedCommitGroups();
}

export const COMMIT_CHECK_IDS: readonly CheckId[] = commitGroups().flatMap((g) => g.ids);

/** Collects a check's results and notes instead of printing them: one commit among many. */
class CommitReporter extends Reporter {
  readonly lines: string[] = [];

  constructor(isTTY: boolean | undefined) {
    const stream: ReporterStream = { isTTY, write: (text: string) => this.lines.push(text) };
    super(stream);
  }

  override check(result: CheckResult): void {
    this.results.push(result);
  }
}

export interface CommitInfo extends PushedCommit {
  short: string;
  subject: string;
}

/** Short sha and subject of each commit, in one git call. */
export async function describeCommits(cwd: string, commits: PushedCommit[]): Promise<CommitInfo[]> {
  if (!commits.length) return [];
  const out = await gitText(cwd, ['log', '--no-walk=unsorted', '--format=%H %h %s', '--stdin'], commits.map((c) => c.sha).join('\n') + '\n');
  const bySha = new Map<string, { short: string; subject: string }>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [sha, short, ...subject] = line.split(' ');
    bySha.set(sha as string, { short: short as string, subject: subject.join(' ') });
  }
  return commits.map((c) => ({ ...c, short: bySha.get(c.sha)?.short ?? c.sha.slice(0, 7), subject: bySha.get(c.sha)?.subject ?? '' }));
}

/** One line per id over all commits; a failure names each failing commit, short sha and subject. */
export function aggregate(id: string, perCommit: Array<{ commit: CommitInfo; result: CheckResult }>, total: number): CheckResult {
  const durationMs = perCommit.reduce((sum, p) => sum + (p.result.durationMs ?? 0), 0);
  const failed = perCommit.filter((p) => p.result.status === 'fail');
  const warned = perCommit.filter((p) => p.result.status === 'warn');
  const skipped = perCommit.find((p) => p.result.status === 'skip');
  const commits = `${total} commit${total === 1 ? '' : 's'}`;
  const name = (c: CommitInfo) => `commit ${c.short} "${c.subject}"`;
  const block = (p: { commit: CommitInfo; result: CheckResult }) =>
    [`${name(p.commit)}: ${p.result.summary ?? p.result.status}`, ...(p.result.details ? [p.result.details.trimEnd().replace(/^/gm, '  ')] : [])].join('\n');
  if (failed.length) {
    const first = failed[0] as { commit: CommitInfo; result: CheckResult };
    return {
      id,
      status: 'fail',
      summary: `${failed.length} of ${commits} failed, first ${first.commit.short} "${first.commit.subject}"`,
      details: failed.map(block).join('\n'),
      // The broken commit itself must change (trunk is deployed at every commit): say how to edit it.
      fix: first.result.fix
        ? `${first.result.fix}, in commit ${first.commit.short}: git rebase -i ${first.commit.parent ? `${first.commit.short}~1` : '--root'}, mark it "edit", fix, git commit --amend, git rebase --continue`
        : undefined,
      durationMs,
    };
  }
  if (skipped && perCommit.every((p) => p.result.status === 'skip')) return { ...skipped.result, id };
  if (warned.length) {
    return { id, status: 'warn', summary: `${commits}, ${warned.length} with warnings`, details: warned.map(block).join('\n'), durationMs };
  }
  if (perCommit.length && perCommit.every((p) => p.result.status === 'inactive')) {
    return { id, status: 'inactive', summary: perCommit[0]?.result.summary ?? 'nothing to check', durationMs };
  }
  return { id, status: 'pass', summary: commits, durationMs };
}

export interface CommitCheckOptions {
  paths: RepoPaths;
  config: Config;
  reader: BlobReader;
  reporter: Reporter;
  skip: SkipRequest;
  groups?: CheckGroup[];
}

/**
 * Runs the per-commit rules on `commits` (oldest first) and reports one line per id.
 * Returns the commits that failed.
 */
export async function runCommitChecks(commits: CommitInfo[], options: CommitCheckOptions): Promise<CommitInfo[]> {
  const groups = options.groups ?? commitGroups();
  const ids = groups.flatMap((g) => g.ids);
  if (!ids.length || !commits.length) return [];
  const perId = new Map<string, Array<{ commit: CommitInfo; result: CheckResult }>>();
  const notes = new Set<string>();
  const failedCommits: CommitInfo[] = [];
  for (const commit of commits) {
    const collector = new CommitReporter(process.stderr.isTTY);
    const changes = await getChangesBetween(options.paths.root, commit.parent, commit.sha);
    await runCheckGroups(
      {
        paths: options.paths,
        config: options.config,
        reader: options.reader,
        target: commitSource(commit.sha),
        base: commit.parent ? commitSource(commit.parent) : null,
        changes,
        reporter: collector,
      },
      groups,
      options.skip,
    );
    for (const line of collector.lines) notes.add(line);
    for (const result of collector.results) {
      const list = perId.get(result.id) ?? [];
      list.push({ commit, result });
      perId.set(result.id, list);
    }
    if (collector.failed()) failedCommits.push(commit);
  }
  // A note a check prints for every commit ("no Cargo.nix here") is worth reading once.
  for (const line of notes) process.stderr.write(line);
  for (const id of ids) options.reporter.check(aggregate(id, perId.get(id) ?? [], commits.length));
  return failedCommits;
}

/**
 * `check --all`: the per-commit rules on one commit's whole state, not on its change: every
 * migration rule over every migration, nix-sync on the whole tree. What changed since the
 * protected ref forked (every file, without one) gives the rules their context, so a migration
 * of the ref edited anywhere on this branch is still an edit. Returns [commit] when it failed.
 */
export async function runWholeTreeChecks(commit: CommitInfo, options: CommitCheckOptions): Promise<CommitInfo[]> {
  const { paths, config, reporter } = options;
  const { resolveProtectedRef } = await import('../migrations/protectedRef.js');
  const ref = await resolveProtectedRef(paths.root, config);
  const fork = ref.ref ? await git(paths.root, ['merge-base', ref.commit, commit.sha]) : null;
  const base = fork && fork.exitCode === 0 ? fork.stdout.toString('utf8').trim() : null;
  const first = reporter.results.length;
  await runCheckGroups(
    {
      paths,
      config,
      reader: options.reader,
      target: commitSource(commit.sha),
      base: base ? commitSource(base) : null,
      changes: await getChangesBetween(paths.root, base, commit.sha),
      reporter,
      whole: true,
    },
    options.groups ?? commitGroups(),
    options.skip,
  );
  return reporter.results.slice(first).some((r) => r.status === 'fail') ? [commit] : [];
}
