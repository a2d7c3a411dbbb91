import build from './defs/build.js';
import clippy from './defs/clippy.js';
import fmt from './defs/fmt.js';
import lintStaged from './defs/lintStaged.js';
import migrations from './defs/migrations.js';
import nixSync from './defs/nixSync.js';
import test from './defs/test.js';
import { CHECK_IDS, type CheckId } from '../checkIds.js';
import type { CheckDefinition, DoctorProbe, GroupRunner } from './definition.js';

/**
 * Every check, in the order they run and are reported. This list is the only place a check is
 * registered: ids, help, the shim's patterns, pre-commit, pre-push and doctor derive from it.
 */
export const CHECKS = [nixSync, migrations, fmt, clippy, build, test, lintStaged] as const;

/** Fails to compile unless CHECKS names exactly the ids of checkIds.ts, in the same order. */
type IdsOf<T extends readonly { id: string }[]> = { [K in keyof T]: T[K]['id'] };
const sameIds: IdsOf<typeof CHECKS> extends typeof CHECK_IDS ? (typeof CHECK_IDS extends IdsOf<typeof CHECKS> ? true : never) : never = true;
void sameIds;

const all: readonly CheckDefinition<CheckId>[] = CHECKS;

/** The groups of one phase, in definition order: ids that name the same group run together. */
function groupsOf(phase: 'staged' | 'commit' | 'files'): Array<{ ids: CheckId[]; load: GroupRunner['load']; usesStagedTree?: boolean }> {
  const groups = new Map<string, { ids: CheckId[]; load: GroupRunner['load']; usesStagedTree?: boolean }>();
  for (const check of all) {
    const runner = check[phase];
    if (!runner) continue;
    const group = groups.get(runner.group) ?? { ids: [], load: runner.load, ...(runner.usesStagedTree ? { usesStagedTree: true } : {}) };
    group.ids.push(check.id);
    groups.set(runner.group, group);
  }
  return [...groups.values()];
}

export const stagedGroups = () => groupsOf('staged');
export const commitGroups = () => groupsOf('commit');
export const filesGroups = () => groupsOf('files');

export const idsWith = (has: (check: CheckDefinition<CheckId>) => boolean): CheckId[] => all.filter(has).map((c) => c.id);

/** Ids whose tip run is a workspace-wide cargo step of the full check. */
export const cargoTipIds = () => idsWith((c) => c.tip?.kind === 'cargo');

/** Checks with a tip run of their own. */
export const tipRunners = () => all.flatMap((c) => (c.tip?.kind === 'run' ? [{ id: c.id, ...c.tip }] : []));

/** Each doctor probe once, in definition order. */
export function doctorProbes(): DoctorProbe[] {
  const seen = new Map<string, DoctorProbe>();
  for (const check of all) if (check.doctor && !seen.has(check.doctor.key)) seen.set(check.doctor.key, check.doctor);
  return [...seen.values()];
}

export function definitionOf(id: CheckId): CheckDefinition<CheckId> {
  return all.find((c) => c.id === id) as CheckDefinition<CheckId>;
}
