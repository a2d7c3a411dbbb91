// Drives the isolation directly (no cargo), for the property and fault tests: run in a repository
// as `node isolate-driver.mjs run|recover`. The job records what the isolated tree looked like
// (git status) into $DRIVER_STATUS_FILE, then passes or blocks as $DRIVER_OUTCOME says.
import { existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './repo.mjs';

const { withStagedTree, recoverLeftover } = await import(join(ROOT, 'dist/isolate/index.js'));
const { repoPaths } = await import(join(ROOT, 'dist/git.js'));
const { Reporter } = await import(join(ROOT, 'dist/report.js'));
const { GuardError } = await import(join(ROOT, 'dist/errors.js'));
const { faultPoint } = await import(join(ROOT, 'dist/isolate/faults.js'));

const reporter = new Reporter(process.stderr, { NO_COLOR: '1' });
try {
  const paths = await repoPaths(process.cwd());
  if (process.argv[2] === 'recover') {
    await recoverLeftover(paths, reporter);
    process.exit(0);
  }
  const code = await withStagedTree(paths, reporter, async () => {
    await faultPoint('job');
    const status = spawnSync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all'], { encoding: 'utf8' });
    if (process.env.DRIVER_STATUS_FILE) writeFileSync(process.env.DRIVER_STATUS_FILE, status.stdout);
    // DRIVER_PROBE=a,b: which of these paths the checks could see
    if (process.env.DRIVER_PROBE) {
      const seen = Object.fromEntries(process.env.DRIVER_PROBE.split(',').map((p) => [p, existsSync(p)]));
      writeFileSync(process.env.DRIVER_PROBE_FILE, JSON.stringify(seen));
    }
    await faultPoint('job done');
    return process.env.DRIVER_OUTCOME === 'block' ? 1 : 0;
  });
  process.exit(code);
} catch (error) {
  if (error instanceof GuardError) {
    process.stderr.write(`loom-guard: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`CRASH ${error.stack}\n`);
  process.exit(70);
}
