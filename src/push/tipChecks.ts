import type { TipContext } from '../checks/definition.js';
import { tipRunners } from '../checks/definitions.js';
import { isSkipped, type SkipRequest } from '../skip.js';

/**
 * The tip runs that are not cargo steps (checks/definitions.ts: `tip.kind === 'run'`), each when
 * its config switch is on, one report line each, after the full check of the same tip.
 */
export async function runTipChecks(ctx: TipContext, skip: SkipRequest): Promise<void> {
  for (const runner of tipRunners()) {
    if (!runner.enabled(ctx.config)) continue;
    if (isSkipped(skip, runner.id)) {
      ctx.reporter.check({ id: runner.id, status: 'skip', summary: `skipped (${skip.source})` });
      continue;
    }
    ctx.reporter.check(await (await runner.load())(ctx));
  }
}
