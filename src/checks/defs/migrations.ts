import type { CheckDefinition, GroupRunner } from '../definition.js';

const runner: GroupRunner = { group: 'migrations', load: async () => (await import('../migrations.js')).runGroup };

const migrations: CheckDefinition<'migrations'> = {
  id: 'migrations',
  title: 'migration names, numbering, registration and replay safety',
  relevant: ({ config }) => [
    '*.sql',
    ...config.migrations.flatMap((folder) => [folder, `${folder}/**`]),
    ...(config.registry === null ? [] : [config.registry]),
  ],
  staged: runner,
  commit: runner,
  // It reads every state through the BlobReader: the working tree too.
  files: runner,
  doctor: {
    key: 'migrations',
    load: async () => {
      const { migrationsFinding, protectedRefFinding } = await import('../../doctor/migrations.js');
      return async (paths, config) => (config ? [await migrationsFinding(paths, config), await protectedRefFinding(paths.root, config)] : []);
    },
  },
};

export default migrations;
