import type { CheckDefinition } from '../definition.js';
import { rustProbe } from './rust.js';

/** cargo test runs only on pushed tips: too slow for every commit. */
const test: CheckDefinition<'test'> = {
  id: 'test',
  title: 'cargo test on the workspace, on push only',
  tip: { kind: 'cargo' },
  doctor: rustProbe,
};

export default test;
