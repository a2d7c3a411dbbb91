import type { CheckDefinition } from '../definition.js';
import { cargoFilesGroup, cargoGroup, rustProbe, rustRelevant } from './rust.js';

const build: CheckDefinition<'build'> = {
  id: 'build',
  title: 'a dev-fast build of the staged crates; the workspace on push',
  relevant: rustRelevant,
  staged: cargoGroup,
  files: cargoFilesGroup,
  tip: { kind: 'cargo' },
  doctor: rustProbe,
};

export default build;
