import type { CheckContext, CheckGroup } from './checks/types.js';
import { isSkipped, parseSkip, skipNotices, type SkipRequest } from './skip.js';
import type { CheckResult, Reporter } from './report.js';

/** Prints the skip notice and warnings; returns the request for the caller to honour. */
export function announceSkips(reporter: Reporter, env: NodeJS.ProcessEnv = process.env): SkipRequest {
  const request = parseSkip(env);
  const { notices, warnings } = skipNotices(request);
  for (const w of warnings) reporter.warn(w);
  for (const n of notices) reporter.note(n);
  return request;
}

/**
 * Runs each group's ids that are not skipped; skipped ids get a `skip` line of their own, in order.
 * With a shared staged tree (ctx.stagedTree) it is closed right after the last group that may use
 * it, before that group's lines are printed (what the restore reports comes first, as it did when
 * each group had a tree of its own), and on any failure.
 */
export async function runCheckGroups(ctx: CheckContext, groups: CheckGroup[], skip: SkipRequest): Promise<void> {
  const actives = groups.map((group) => group.ids.filter((id) => !isSkipped(skip, id)));
  let lastTreeUser = -1;
  for (const [i, group] of groups.entries()) if (ctx.stagedTree && group.usesStagedTree && actives[i]?.length) lastTreeUser = i;
  try {
    for (const [i, group] of groups.entries()) {
      const active = actives[i] ?? [];
      const results: CheckResult[] = [];
      if (active.length) results.push(...(await (await group.load())(ctx, active)));
      if (i === lastTreeUser) await ctx.stagedTree?.close();
      for (const id of group.ids) {
        if (!active.includes(id)) results.push({ id, status: 'skip', summary: `skipped (${skip.source})` });
      }
      const order = (id: string) => (group.ids as readonly string[]).indexOf(id);
      for (const result of results.sort((a, b) => order(a.id) - order(b.id))) ctx.reporter.check(result);
      if (i < lastTreeUser && group.usesStagedTree) await ctx.stagedTree?.betweenChecks();
    }
  } finally {
    await ctx.stagedTree?.close();
  }
}
