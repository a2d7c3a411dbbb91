import { repoPaths, type RepoPaths } from '../git.js';
import { configFinding } from './config.js';
import { doctorProbes } from '../checks/definitions.js';
import { gitAndNode, skipVariables } from './environment.js';
import { hookFindings } from './hooks.js';
import { leftoverFindings } from '../isolate/index.js';
import { ok, type Finding } from './types.js';

/** Every finding about the repository at `cwd`, in the order a person reads them. */
export async function diagnose(cwd: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  findings.push(...(await gitAndNode(cwd)));
  const paths = await repoPaths(cwd);
  findings.push(...(await hookFindings(paths)));
  findings.push(...skipVariables());
  const { finding, config } = await configFinding(paths.root);
  findings.push(finding);
  // What each check's definition asks doctor to probe (checks/definitions.ts), in check order.
  for (const probe of doctorProbes()) findings.push(...(await (await probe.load())(paths, config)));
  findings.push(...(await leftoverFindings(paths.gitDir)));
  findings.push(await privateCheckoutFinding(paths));
  return findings;
}

/** The disk the pre-push private checkout of this repository takes (a whole second target folder). */
async function privateCheckoutFinding(paths: RepoPaths): Promise<Finding> {
  const [{ pushTreeLayout }, { diskCostLine }, { userTargetDir }] = await Promise.all([
    import('../push/pushTree.js'),
    import('../push/diskCost.js'),
    import('../push/warmTarget.js'),
  ]);
  try {
    const layout = await pushTreeLayout(paths);
    return ok('push-checkout', await diskCostLine(layout.base, userTargetDir(paths.root)));
  } catch (error) {
    return ok('push-checkout', `pre-push private checkout: ${(error as Error).message}`);
  }
}
