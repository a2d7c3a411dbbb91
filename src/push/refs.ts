import { GuardError } from '../errors.js';
import { git, gitText, resolveCommit } from '../git.js';

/*
 * What a push sends, from the ref lines git writes on the pre-push hook's stdin:
 *   <local ref> SP <local sha> SP <remote ref> SP <remote sha> LF
 * Parsing and planning are pure; `pushedCommits` is the thin layer that asks git.
 */

export const ZERO_SHA = /^0+$/;

export interface PushLine {
  localRef: string;
  localSha: string;
  remoteRef: string;
  remoteSha: string;
}

export type PushKind = 'delete' | 'new' | 'update' | 'force-unknown';

export interface PushPlan {
  line: PushLine;
  kind: PushKind;
  /** A tag push (refs/tags/…): its commits are checked like a branch's. */
  tag: boolean;
  /** `git rev-list` arguments that list the pushed commits (null for a deletion). */
  revList: string[] | null;
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Parses every ref line; a malformed line is a set-up error naming it. */
export function parsePushLines(text: string): PushLine[] {
  const lines: PushLine[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (!line.trim()) continue;
    const parts = line.split(' ');
    const [localRef, localSha, remoteRef, remoteSha] = parts;
    if (parts.length !== 4 || !localRef || !remoteRef || !SHA.test(localSha ?? '') || !SHA.test(remoteSha ?? '')) {
      throw new GuardError(
        `pre-push: unexpected ref line on stdin "${line}": expected "<local ref> <local sha> <remote ref> <remote sha>" (loom-guard pre-push is run by git's pre-push hook)`,
      );
    }
    lines.push({ localRef, localSha: localSha as string, remoteRef, remoteSha: remoteSha as string });
  }
  return lines;
}

/**
 * Decides how to list a ref's pushed commits. `remoteKnown` says whether the remote sha is an
 * object we have: without it (a force push over commits we never fetched) `remote..local` cannot
 * be computed, so the push is treated like a new branch: everything not on a ref of that remote.
 */
export function planPush(line: PushLine, remote: string, remoteKnown: boolean): PushPlan {
  const tag = line.remoteRef.startsWith('refs/tags/') || line.localRef.startsWith('refs/tags/');
  if (ZERO_SHA.test(line.localSha)) return { line, kind: 'delete', tag, revList: null };
  const isNew = ZERO_SHA.test(line.remoteSha);
  if (!isNew && remoteKnown) {
    return { line, kind: 'update', tag, revList: [line.localSha, '--not', line.remoteSha] };
  }
  return {
    line,
    kind: isNew ? 'new' : 'force-unknown',
    tag,
    revList: [line.localSha, '--not', `--remotes=${remote}`],
  };
}

/** The name a ref is shown by: `main` for refs/heads/main, `v1` (tag) for refs/tags/v1. */
export function refLabel(plan: PushPlan): string {
  const ref = plan.line.remoteRef;
  if (ref.startsWith('refs/heads/')) return ref.slice('refs/heads/'.length);
  if (ref.startsWith('refs/tags/')) return `tag ${ref.slice('refs/tags/'.length)}`;
  return ref;
}

export interface PushedCommit {
  sha: string;
  /** First parent, or null for a root commit. */
  parent: string | null;
}

/** Parses `git rev-list --parents` output: each line is a commit followed by its parents. */
export function parseRevListParents(output: string): PushedCommit[] {
  return output
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [sha, parent] = line.split(' ');
      return { sha: sha as string, parent: parent ?? null };
    });
}

async function isCommitKnown(cwd: string, sha: string): Promise<boolean> {
  const result = await git(cwd, ['cat-file', '-e', `${sha}^{commit}`]);
  return result.exitCode === 0;
}

/**
 * Each line's plan, tip and pushed commits. Per line, whether the remote sha is known and which
 * commit the local sha names are asked at once; only the listing waits for both. Lines run side by
 * side: a cache-hit push is mostly these few git calls.
 */
export async function resolvePushes(cwd: string, remote: string, lines: PushLine[]): Promise<Array<{ plan: PushPlan; tip: string | null; commits: PushedCommit[] }>> {
  return Promise.all(
    lines.map(async (line) => {
      const [known, tip] = await Promise.all([
        ZERO_SHA.test(line.remoteSha) ? false : isCommitKnown(cwd, line.remoteSha),
        ZERO_SHA.test(line.localSha) ? null : resolveCommit(cwd, line.localSha),
      ]);
      const plan = planPush(line, remote, known);
      return { plan, tip, commits: await pushedCommits(cwd, plan, tip) };
    }),
  );
}

/**
 * The commits a ref pushes, oldest first, each with its first parent. `tip` is the commit the
 * local sha names (a tag peeled), or null when it names none (a tag of a tree or blob: nothing cargo
 * could build, nothing listed).
 */
export async function pushedCommits(cwd: string, plan: PushPlan, tip: string | null): Promise<PushedCommit[]> {
  if (!plan.revList || !tip) return [];
  // rev-list peels tags itself, but a tag of a non-commit would make it list trees: ask for the commit.
  const args = [tip, ...plan.revList.slice(1)];
  const out = await gitText(cwd, ['rev-list', '--reverse', '--topo-order', '--parents', ...args, '--']);
  return parseRevListParents(out);
}
