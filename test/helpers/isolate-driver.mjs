// Drives the isolation directly (no cargo), for the property and fault tests: run in a repository
// as `node isolate-driver.mjs run|recover`. The job records what the isolated tree looked like
// (git status) into $DRIVER_STATUS_FILE, then passes or blocks as $DRIVER_OUTCOME says.
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './repo.mjs';

const { withStagedTree, recoverLeftover } = await import(join(ROOT, 'dist/isolate/index.js'));
const { repoPaths } = await import(join(ROOT, 'dist/git.js'));
const { Reporter } = await import(join(ROOT, 'dist/report.js'));
const { GuardError } = await import(join(ROOT, 'dist/errors.js'));
const { faultPoint } = await import(join(ROOT, 'dist/isolate/faults.js'));
const { applyFixes } = await import(join(ROOT, 'dist/checks/fixes.js'));

// DRIVER_FIXER=adopt: a lint-staged-like fixer rewrites the staged files in place (`var` -> `let`)
// and the hook adopts the rewrite; DRIVER_FIXER=propose: an fmt-fix-like fixer computes the fix from
// the staged version and the hook journals and writes it. Either way the fixes are staged only on pass.
const fix = (buffer) => Buffer.from(buffer.toString('latin1').replace(/\bvar\b/g, 'let'), 'latin1');
async function runFixer(edits, kind, block) {
  const z = (args) => spawnSync('git', args, { encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
  const given = z(['diff', '--cached', '--name-only', '-z', '--no-renames', '--diff-filter=AMT']);
  const others = z(['diff-files', '--name-only', '-z']);
  if (kind === 'adopt') {
    await edits.beforeFixer(given);
    for (const path of given) {
      let text;
      try {
        if (!lstatSync(path).isFile()) continue;
        text = readFileSync(path);
      } catch {
        continue;
      }
      const fixed = fix(text);
      if (!fixed.equals(text)) writeFileSync(path, fixed);
    }
    await faultPoint('fixer wrote');
    const changed = await edits.changed([...given, ...others]);
    const fixed = await edits.adopt(changed.modified.filter((p) => given.includes(p)));
    await edits.putBack(changed.deleted, 'deleted while the fixer ran');
    await edits.putBack(changed.modified.filter((p) => !given.includes(p)), 'changed while the fixer ran');
    await faultPoint('fixer adopted');
    if (block) return edits.putBack(fixed, 'changed while the fixer ran');
    const outcome = await applyFixes(edits, fixed);
    await faultPoint('fixes decided');
    if (!outcome.blocked.length) await outcome.commit();
    return;
  }
  const proposed = [];
  for (const path of given) {
    const staged = await edits.stagedVersion(path);
    if (!staged || fix(staged).equals(staged)) continue;
    await edits.propose(path, fix(staged));
    proposed.push(path);
  }
  await faultPoint('fixer proposed');
  const outcome = await applyFixes(edits, proposed);
  await faultPoint('fixes decided');
  if (!block && !outcome.blocked.length) await outcome.commit();
}

const reporter = new Reporter(process.stderr, { NO_COLOR: '1' });
try {
  const paths = await repoPaths(process.cwd());
  if (process.argv[2] === 'recover') {
    await recoverLeftover(paths, reporter);
    process.exit(0);
  }
  const code = await withStagedTree(paths, reporter, async (edits) => {
    await faultPoint('job');
    const status = spawnSync('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all'], { encoding: 'utf8' });
    if (process.env.DRIVER_STATUS_FILE) writeFileSync(process.env.DRIVER_STATUS_FILE, status.stdout);
    // DRIVER_PROBE=a,b: which of these paths the checks could see
    if (process.env.DRIVER_PROBE) {
      const seen = Object.fromEntries(process.env.DRIVER_PROBE.split(',').map((p) => [p, existsSync(p)]));
      writeFileSync(process.env.DRIVER_PROBE_FILE, JSON.stringify(seen));
    }
    if (process.env.DRIVER_FIXER) await runFixer(edits, process.env.DRIVER_FIXER, process.env.DRIVER_OUTCOME === 'block');
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
