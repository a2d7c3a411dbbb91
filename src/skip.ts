import { CHECK_IDS, isCheckId, type CheckId } from './checkIds.js';
import { didYouMean } from './didYouMean.js';

export interface SkipRequest {
  /** Every check is skipped. */
  all: boolean;
  /** Checks skipped by id (empty when `all`). */
  ids: CheckId[];
  /** Ids that name no check: warned about, never silently ignored. */
  unknown: string[];
  /** The variable and value that asked for it, for the notice. */
  source: string | null;
}

const ALL_VALUES = new Set(['1', 'true', 'all', 'yes']);
const NONE_VALUES = new Set(['', '0', 'false', 'no']);

/** Reads LOOM_GUARD_SKIP and SKIP_SIMPLE_GIT_HOOKS exactly as PRODUCT.md describes. */
export function parseSkip(env: NodeJS.ProcessEnv): SkipRequest {
  const simple = (env.SKIP_SIMPLE_GIT_HOOKS ?? '').trim().toLowerCase();
  if (simple === '1' || simple === 'true') {
    return { all: true, ids: [], unknown: [], source: `SKIP_SIMPLE_GIT_HOOKS=${env.SKIP_SIMPLE_GIT_HOOKS}` };
  }
  const raw = env.LOOM_GUARD_SKIP;
  const value = (raw ?? '').trim().toLowerCase();
  if (NONE_VALUES.has(value)) return { all: false, ids: [], unknown: [], source: null };
  const source = `LOOM_GUARD_SKIP=${raw}`;
  if (ALL_VALUES.has(value)) return { all: true, ids: [], unknown: [], source };
  const ids: CheckId[] = [];
  const unknown: string[] = [];
  for (const part of value.split(/[\s,]+/).filter(Boolean)) {
    if (isCheckId(part)) {
      if (!ids.includes(part)) ids.push(part);
    } else if (!unknown.includes(part)) {
      unknown.push(part);
    }
  }
  return { all: false, ids, unknown, source };
}

/**
 * The request with every id outside `only` skipped too (`check clippy build` runs those two).
 * Callers that select drop the skip lines of the ids they left out (check.ts).
 */
export function withOnly(request: SkipRequest, only: ReadonlySet<CheckId> | undefined): SkipRequest {
  if (!only || request.all) return request;
  return { ...request, ids: CHECK_IDS.filter((id) => request.ids.includes(id) || !only.has(id)) };
}

export function isSkipped(request: SkipRequest, id: CheckId): boolean {
  return request.all || request.ids.includes(id);
}

/** The lines a skip prints: never silent. */
export function skipNotices(request: SkipRequest): { notices: string[]; warnings: string[] } {
  const notices: string[] = [];
  const warnings: string[] = [];
  if (request.all) notices.push(`every check skipped (${request.source})`);
  else if (request.ids.length) notices.push(`skipped ${request.ids.join(', ')} (${request.source})`);
  for (const id of request.unknown) {
    warnings.push(`LOOM_GUARD_SKIP: unknown check id "${id}" ignored${didYouMean(id, CHECK_IDS)}; valid ids: ${CHECK_IDS.join(', ')} (or 1/all)`);
  }
  return { notices, warnings };
}
