import { loadConfig, type Config } from '../config.js';
import { GuardError } from '../errors.js';
import { error, ok, type Finding } from './types.js';

export async function configFinding(root: string): Promise<{ finding: Finding; config: Config | null }> {
  try {
    const { config, source } = await loadConfig(root);
    return { finding: ok('config', source ? `${source} is valid` : 'no config file: Loom defaults'), config };
  } catch (e) {
    const message = e instanceof GuardError ? e.message.split('\n')[0] ?? '' : String(e);
    return { finding: error('config', message, 'fix the key it names (see README, Configuration)'), config: null };
  }
}
