import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kleur from 'kleur';
import type { ParsedArgs } from '../args.js';
import { UsageError } from '../errors.js';
import { packageRoot, shellWord } from '../invocation.js';
import { commandExists } from '../proc.js';
import { colourEnabled, formatDuration } from '../report.js';

/**
 * The commands that install loom-guard into the user's own repository from this very copy: it is
 * not on the npm registry yet, so a local folder (a clone, or the package this CLI is part of).
 */
function installLines(): string[] {
  return [`npm install --save-dev ${shellWord(packageRoot())}`, 'npx loom-guard install', 'npx loom-guard doctor'];
}

export async function run(args: ParsedArgs): Promise<number> {
  if (args.positionals.length) throw new UsageError(`demo: unexpected argument "${args.positionals[0]}"`);
  const { SCENARIOS, buildDemoRepo, removeDemo } = await import('../demo/scenarios.js');
  kleur.enabled = colourEnabled(process.stdout);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const hasCargo = (await commandExists('cargo')) && (await commandExists('rustfmt')) && (await commandExists('cargo-clippy'));
  const base = await mkdtemp(join(tmpdir(), 'loom-guard-demo-'));
  out(kleur.bold('loom-guard demo: real commits and pushes through the hooks of a throwaway Loom-shaped repository'));
  if (!hasCargo) out(kleur.yellow('cargo, rustfmt or clippy is not on PATH: the scenarios that need cargo are skipped'));
  let started = performance.now();
  const repo = await buildDemoRepo(base, hasCargo);
  out(`${kleur.dim('repository')} ${repo.dir} ${kleur.dim(`(4 crates, 10 migrations, Cargo.nix, bare remote; ${formatDuration(performance.now() - started)})`)}`);
  out();
  let failures = 0;
  let ran = 0;
  const total = SCENARIOS.length;
  try {
    for (const [i, scenario] of SCENARIOS.entries()) {
      const head = `${kleur.bold(`${i + 1}/${total}`)} ${scenario.title}`;
      if (scenario.needsCargo && !hasCargo) {
        out(`${kleur.dim('-')} ${head} ${kleur.dim('(skipped: needs cargo)')}`);
        continue;
      }
      started = performance.now();
      const result = await scenario.act(repo);
      const took = formatDuration(performance.now() - started);
      const outcome = result.exitCode === 0 ? 'pass' : 'block';
      const expect = typeof scenario.expect === 'function' ? scenario.expect(repo) : scenario.expect;
      const shows = typeof scenario.shows === 'function' ? scenario.shows(repo) : scenario.shows;
      const reason = shows ? shows.test(result.all) : true;
      const asExpected = outcome === expect && reason;
      ran++;
      if (!asExpected) failures++;
      const verdict = outcome === 'pass' ? 'passed' : 'blocked';
      const mark = asExpected ? kleur.green('✔') : kleur.red('✖');
      out(`${mark} ${head}: ${verdict}${asExpected ? ', as expected' : `, expected it to ${expect === 'pass' ? 'pass' : 'be blocked'}`} ${kleur.dim(took)}`);
      const lines = result.all.trim().split('\n').filter(Boolean);
      // A pass shows its check lines, what it warns about first.
      const wanted = outcome === 'block' || !asExpected ? lines : [...lines.filter((l) => /✖|⚠|^\s+fix:/.test(l)), ...lines.filter((l) => /skipped|cached|✔/.test(l) && !/✖|⚠/.test(l))];
      const limit = outcome === 'block' || !asExpected ? 14 : 8;
      for (const line of wanted.slice(0, limit)) out(kleur.dim(`    │ ${line}`));
      // Cut output says so, and where the rest is.
      if (wanted.length > limit) out(kleur.dim(`    │ … ${wanted.length - limit} more line${wanted.length - limit === 1 ? '' : 's'}${args.flags.keep ? '' : ' (run loom-guard demo --keep to keep the repository and look)'}`));
      if (scenario.after) await scenario.after(repo);
    }
  } finally {
    if (args.flags.keep) out(`\nkept: ${base} (the repository is ${repo.dir}; delete the folder when done)`);
    else {
      await removeDemo(base);
      out(kleur.dim(`\nthe throwaway repository is deleted (loom-guard demo --keep keeps it)`));
    }
  }
  out();
  const summary = `${ran - failures} of ${ran} scenarios behaved as expected${ran < total ? ` (${total - ran} skipped: no cargo)` : ''}`;
  out(failures ? kleur.red(summary) : kleur.green(summary));
  out();
  out(`${kleur.bold('Next: the hooks in your own repository.')} From its root:`);
  for (const line of installLines()) out(`  ${line}`);
  return failures ? 1 : 0;
}
