import type { CheckDefinition, GroupRunner } from '../definition.js';

const runner: GroupRunner = { group: 'nix-sync', load: async () => (await import('../nixSync.js')).runNixSync };

const nixSync: CheckDefinition<'nix-sync'> = {
  id: 'nix-sync',
  title: 'Cargo.nix in sync with Cargo.lock, the manifests and the embedded resources',
  // Every Cargo.toml (a dependency change anywhere), the lock, Cargo.nix and the resources.
  relevant: ({ config }) => ['Cargo.toml', '*/Cargo.toml', 'Cargo.lock', 'Cargo.nix', ...config.resources],
  staged: runner,
  commit: runner,
  // It reads every state through the BlobReader: the working tree too.
  files: runner,
  doctor: {
    key: 'nix',
    load: async () => {
      const { nixFindings } = await import('../../doctor/nix.js');
      return async (paths, config) => (config ? nixFindings(paths, config) : []);
    },
  },
};

export default nixSync;
