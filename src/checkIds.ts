/** The check ids, in the order they run and are reported: derived from the definitions. */
export { CHECK_IDS, type CheckId } from './checks/definitions.js';
import { CHECK_IDS } from './checks/definitions.js';

export function isCheckId(value: string): value is (typeof CHECK_IDS)[number] {
  return (CHECK_IDS as readonly string[]).includes(value);
}
