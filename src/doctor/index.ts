import { repoPaths } from '../git.js';
import { configFinding, protectedRefFinding } from './config.js';
import { devFastProfile, gitAndNode, rustToolchain, skipVariables } from './environment.js';
import { hookFindings } from './hooks.js';
import { nixFindings } from './nix.js';
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
  findings.push(...(await rustToolchain(paths.root)));
  if (config) {
    findings.push(...(await devFastProfile(paths.root, config.profile)));
    findings.push(...(await nixFindings(paths, config)));
    findings.push(await protectedRefFinding(paths.root, config));
  }
  findings.push(...(await leftoverFindings(paths.gitDir)));
  return findings;
}
