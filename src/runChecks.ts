import type { CheckId } from './checkIds.js';
import type { CheckContext, CheckGroup } from './checks/types.js';
import { isSkipped, parseSkip, skipNotices, type SkipRequest } from './skip.js';
import type { Reporter } from './report.js';

/** Prints the skip notice and warnings; returns the request for the caller to honour. */
export function announceSkips(reporter: Reporter, env: NodeJS.ProcessEnv = process.env): SkipRequest {
  const request = parseSkip(env);
  const { notices, warnings } = skipNotices(request);
  for (const w of warnings) reporter.warn(w);
  for (const n of notices) reporter.note(n);
  return request;
}

/** Runs each group's ids that are not skipped; skipped ids get a `skip` line of their own. */
export async function runCheckGroups(ctx: CheckContext, groups: CheckGroup[], skip: SkipRequest): Promise<void> {
  for (const group of groups) {
    const active: CheckId[] = [];
    for (const id of group.ids) {
      if (isSkipped(skip, id)) ctx.reporter.check({ id, status: 'skip', summary: `skipped (${skip.source})` });
      else active.push(id);
    }
    if (!active.length) continue;
    const runGroup = await group.load();
    for (const result of await runGroup(ctx, active)) ctx.reporter.check(result);
  }
}
