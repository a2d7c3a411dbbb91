import type { CheckDefinition } from '../definition.js';
import { cargoFilesGroup, cargoGroup, rustProbe, rustRelevant } from './rust.js';

const clippy: CheckDefinition<'clippy'> = {
  id: 'clippy',
  title: 'clippy -D warnings on the staged crates; the workspace on push',
  relevant: rustRelevant,
  staged: cargoGroup,
  files: cargoFilesGroup,
  tip: { kind: 'cargo' },
  doctor: rustProbe,
};

export default clippy;
