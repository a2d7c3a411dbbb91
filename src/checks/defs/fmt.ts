import type { CheckDefinition } from '../definition.js';
import { cargoFilesGroup, cargoGroup, rustProbe, rustRelevant } from './rust.js';

const fmt: CheckDefinition<'fmt'> = {
  id: 'fmt',
  title: 'formatting (cargo fmt) of the staged crates; the workspace on push',
  relevant: rustRelevant,
  staged: cargoGroup,
  files: cargoFilesGroup,
  tip: { kind: 'cargo' },
  doctor: rustProbe,
};

export default fmt;
