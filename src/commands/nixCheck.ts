import type { ParsedArgs } from '../args.js';
import { gatherNixSync, resourceMatcher } from '../checks/nixSync.js';
import { loadConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { BlobReader, commitSource, getStagedChanges, headCommit, INDEX, repoPaths } from '../git.js';
import { checkNixSync } from '../nix/rules.js';
import { pasteable } from '../invocation.js';
import { Reporter } from '../report.js';

/*
 * `loom-guard nix check`: the nix-sync rule on the staged state against HEAD; when nothing is
 * staged (the index equals HEAD) on that state alone. Exit 0 in sync (also with warnings: crates
 * only in Cargo.lock, which cargo2nix leaves out when no enabled feature uses them), 1 out of sync,
 * 2 cannot tell (an old Cargo.nix without lock hash and no lock change to judge, or a malformed file).
 */
export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`nix check: unexpected argument "${args.positionals[0]}" (see loom-guard nix check --help)`);
  const json = args.flags.json === true;
  const started = performance.now();
  const paths = await repoPaths(process.cwd());
  const [{ config }, head, staged] = await Promise.all([loadConfig(paths.root), headCommit(paths.root), getStagedChanges(paths.root)]);
  const reader = new BlobReader(paths.root);
  let input;
  try {
    input = await gatherNixSync({
      reader,
      root: paths.root,
      target: INDEX,
      base: head ? commitSource(head) : null,
      changes: staged.length ? staged : null,
      matches: await resourceMatcher(config.resources),
    });
  } finally {
    reader.close();
  }
  const mode = staged.length ? 'staged' : 'committed';
  if (input === null) {
    if (json) process.stdout.write(`${JSON.stringify({ verdict: 'inactive', exitCode: 0, summary: 'no Cargo.nix' })}\n`);
    else new Reporter().check({ id: 'nix-sync', status: 'inactive', summary: 'no Cargo.nix in this repository: nothing to check' });
    return 0;
  }
  const result = checkNixSync(input);
  const exitCode = result.verdict === 'in-sync' ? 0 : result.verdict === 'out-of-sync' ? 1 : 2;
  if (json) {
    const { verdict, findings, summary, reason, notes, warnings, lockHash, stamp, fix } = result;
    process.stdout.write(`${JSON.stringify({ verdict, exitCode, state: mode, summary, reason, findings, warnings, notes: notes.map((n) => pasteable(n)), lockHash, stamp, fix: pasteable(fix) }, null, 2)}\n`);
    return exitCode;
  }
  const reporter = new Reporter();
  const durationMs = performance.now() - started;
  if (result.verdict === 'undetermined') {
    const details = [result.reason ?? '', ...result.warnings.map((w) => `warning: ${w}`), 'regenerate with cargo2nix 0.12 (loom-guard nix update) to get a lock hash'];
    reporter.check({ id: 'nix-sync', status: 'warn', summary: result.summary, details: details.filter(Boolean).join('\n'), durationMs });
  } else {
    const inSync = result.verdict === 'in-sync';
    reporter.check({
      id: 'nix-sync',
      status: inSync ? (result.warnings.length ? 'warn' : 'pass') : 'fail',
      summary: `${result.summary} [${mode} state]`,
      details: [...result.findings.map((f) => f.message), ...result.warnings.map((w) => `warning: ${w}`)].join('\n'),
      fix: result.fix,
      durationMs,
    });
    for (const note of result.notes) reporter.note(note);
  }
  return exitCode;
}
