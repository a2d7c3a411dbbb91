import { relevantGlobs as relevantGlobsOf } from '../../lintStaged/globs.js';
import type { CheckDefinition } from '../definition.js';

/*
 * The repository's own lint-staged tasks (a web front end, scripts): run on the staged files in
 * loom-guard's isolated tree at pre-commit, fixes staged; on pushed tips only with
 * `lintStagedOnPush`. Everything lives in src/lintStaged/; lint-staged itself is loaded only when a
 * configuration exists.
 */
const lintStaged: CheckDefinition<'lint-staged'> = {
  id: 'lint-staged',
  title: "the repository's lint-staged tasks on the staged files",
  relevant: (facts) => {
    // Any file that may hold a config hands over (Node then refreshes the shim), and what each
    // config's globs match; globs sh cannot say widen to the config's whole folder.
    const globs = ['package.json', '*/package.json', 'package.yaml', '*/package.yaml', 'package.yml', '*/package.yml', '.lintstagedrc*', '*/.lintstagedrc*', 'lint-staged.config.*', '*/lint-staged.config.*'];
    for (const config of facts.lintStaged) {
      const own = relevantGlobsOf(config);
      if (own === null) return null;
      globs.push(...own);
    }
    return globs;
  },
  staged: { group: 'lint-staged', load: async () => (await import('../../lintStaged/staged.js')).default, usesStagedTree: true },
  files: { group: 'lint-staged', load: async () => (await import('../../lintStaged/files.js')).default },
  tip: { kind: 'run', enabled: (config) => config.lintStagedOnPush, load: async () => (await import('../../lintStaged/tip.js')).default },
  doctor: { key: 'lint-staged', load: async () => (await import('../../lintStaged/doctor.js')).lintStagedFindings },
};

export default lintStaged;
