import { loadConfig, type Config } from '../config.js';
import { GuardError } from '../errors.js';
import { resolveCommit } from '../git.js';
import { error, ok, warn, type Finding } from './types.js';

export async function configFinding(root: string): Promise<{ finding: Finding; config: Config | null }> {
  try {
    const { config, source } = await loadConfig(root);
    return { finding: ok('config', source ? `${source} is valid` : 'no config file: Loom defaults'), config };
  } catch (e) {
    const message = e instanceof GuardError ? e.message.split('\n')[0] ?? '' : String(e);
    return { finding: error('config', message, 'fix the key it names (see README, Configuration)'), config: null };
  }
}

export async function protectedRefFinding(root: string, config: Config): Promise<Finding> {
  const candidates = config.protectedRef ? [config.protectedRef] : ['origin/trunk', 'origin/main', 'origin/master'];
  for (const ref of candidates) {
    if (await resolveCommit(root, ref)) return ok('protected-ref', `${ref}: new migrations are numbered above it`);
  }
  return warn(
    'protected-ref',
    `no protected ref (${candidates.join(', ')}): migration numbering against trunk is not checked`,
    config.protectedRef ? `git fetch (${config.protectedRef} is missing)` : 'git fetch origin, or set "protectedRef" in .loom-guard.json',
  );
}
