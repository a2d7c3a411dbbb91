import { GuardError } from './errors.js';

/** A command whose capability is not in this version: says so and exits 2, never pretends to pass. */
export function notBuilt(command: string): never {
  throw new GuardError(`${command}: not available in this version yet; nothing was checked`, 2);
}
