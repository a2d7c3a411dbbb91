import { repoPaths } from '../git.js';
import { configFinding } from './config.js';
import { doctorProbes } from '../checks/definitions.js';
import { gitAndNode, skipVariables } from './environment.js';
import { hookFindings } from './hooks.js';
import { leftoverFindings } from '../isolate/index.js';
import type { Finding } from './types.js';

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
  return findings;
}
