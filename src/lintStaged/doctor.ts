import { createRequire } from 'node:module';
import type { Config } from '../config.js';
import { ok, warn, type Finding } from '../doctor/types.js';
import type { RepoPaths } from '../git.js';
import { findLintStagedConfigs } from './configs.js';
import { reinstallCommand } from '../invocation.js';

/** doctor: the lint-staged configurations found, and whether lint-staged can be loaded for them. */
export async function lintStagedFindings(paths: RepoPaths, config: Config | null): Promise<Finding[]> {
  const configs = await findLintStagedConfigs(paths.root);
  if (!configs.length) return [ok('lint-staged', 'no lint-staged configuration: the check is inactive')];
  const files = configs.map((c) => c.file).join(', ');
  let version: string | null = null;
  try {
    // Resolved from loom-guard itself: lint-staged is its dependency, not the repository's.
    version = (createRequire(import.meta.url)('lint-staged/package.json') as { version: string }).version;
  } catch {
    version = null;
  }
  if (!version) return [warn('lint-staged', `${files} configure lint-staged, but loom-guard cannot load it`, `reinstall loom-guard's dependencies, lint-staged 16 among them: ${reinstallCommand()}`)];
  const push = config?.lintStagedOnPush ? '; also on pushed tips (lintStagedOnPush)' : '';
  return [ok('lint-staged', `lint-staged ${version} runs ${files} at pre-commit${push}`)];
}
