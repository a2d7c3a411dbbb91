import type { ParsedArgs } from '../args.js';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { BlobReader, commitSource, getStagedChanges, headCommit, INDEX, repoPaths } from '../git.js';
import { Reporter } from '../report.js';

/**
 * `loom-guard migrations check`: every migrations rule on the staged state, whether or not the
 * change touches a migration. Exit 0 pass (warnings included), 1 blocked, 2 set-up error.
 */
export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) {
    throw new UsageError(`migrations check: unexpected argument "${args.positionals[0]}" (see loom-guard migrations check --help)`);
  }
  const reporter = new Reporter();
  const paths = await repoPaths(process.cwd());
  const { config } = await loadConfig(paths.root);
  const head = await headCommit(paths.root);
  const changes = await getStagedChanges(paths.root);
  const reader = new BlobReader(paths.root);
  try {
    const { checkMigrations } = await import('../checks/migrations.js');
    const result = await checkMigrations(
      { paths, config, reader, target: INDEX, base: head ? commitSource(head) : null, changes, reporter },
      { force: true },
    );
    reporter.check(result);
    return result.status === 'fail' ? 1 : 0;
  } finally {
    reader.close();
  }
}
