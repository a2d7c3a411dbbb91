import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import type { CrateSelection, WorkspaceCrate } from '../cargo/crates.js';
import { cargoOutput, describeSelection, packageArgs } from '../cargo/steps.js';
import { readTextOrNull } from '../fsx.js';
import { gitText } from '../git.js';
import type { StagedTreeEdits } from '../isolate/index.js';
import { run } from '../proc.js';
import type { CheckResult } from '../report.js';
import { applyFixes, blockedFix } from './fixes.js';

/*
 * `"fmt": "fix"`: instead of blocking unformatted staged Rust, pre-commit formats it (cargo fmt on
 * the staged crates, in the isolated tree that holds exactly the index) and stages the result.
 * Where a reformatted file also has unstaged edits, the working-tree copy is formatted too, by
 * rustfmt on the user's own version (a clean three-way merge when rustfmt cannot parse it), and
 * the commit is blocked only when neither can be done without overwriting an edit. A crate file
 * that is not staged and not formatted still blocks, as in check mode: its fix is not ours to stage.
 */

export interface FmtFixOptions {
  root: string;
  edits: StagedTreeEdits;
  selection: CrateSelection;
  members: WorkspaceCrate[];
  /** Staged paths (not deleted). */
  staged: string[];
  config: Config;
}

const result = (status: CheckResult['status'], summary: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id: 'fmt', status, summary, ...extra });

export async function fixFormatting(opts: FmtFixOptions): Promise<CheckResult> {
  const { root, edits, selection } = opts;
  const extra = opts.config.cargoArgs.fmt;
  const at = extra.indexOf('--');
  const cargoExtra = at < 0 ? extra : extra.slice(0, at);
  const toolExtra = at < 0 ? [] : extra.slice(at + 1);
  const args = ['fmt', ...packageArgs(selection, 'fmt'), ...cargoExtra, ...(toolExtra.length ? ['--', ...toolExtra] : [])];
  const crates = describeSelection(selection);
  const ran = await run('cargo', args, { cwd: root, env: { ...process.env, CARGO_TERM_COLOR: 'never' } });
  const dirty = (await gitText(root, ['diff-files', '--name-only', '-z'])).split('\0').filter((p) => p.endsWith('.rs'));
  const rewritten = await edits.rewritten([...dirty, ...opts.staged.filter((p) => p.endsWith('.rs'))]);
  if (ran.exitCode !== 0) {
    await edits.revert(rewritten);
    const output = cargoOutput(ran);
    const missing = /no such (command|subcommand): .?fmt/.test(output);
    return result('fail', crates, {
      details: output || `cargo fmt exited with ${ran.exitCode}`,
      fix: missing ? 'rustup component add rustfmt' : 'fix the syntax error rustfmt reports above, git add the file, commit again',
      durationMs: ran.durationMs,
    });
  }
  const stagedSet = new Set(opts.staged);
  const notStaged = rewritten.filter((p) => !stagedSet.has(p));
  if (notStaged.length) {
    await edits.revert(rewritten);
    return result('fail', `${crates}: files that are not staged are not formatted`, {
      details: notStaged.join('\n'),
      fix: `cargo fmt ${packageArgs(selection, 'fmt').join(' ')}, then git add ${notStaged.join(' ')}`,
      durationMs: ran.durationMs,
    });
  }
  const started = performance.now();
  const fixes = await applyFixes(edits, root, rewritten, (path, user) => formatUserVersion(root, path, user, opts.members));
  const durationMs = ran.durationMs + performance.now() - started;
  if (fixes.blocked.length) {
    return result('fail', `${crates}: a reformatted file has unstaged edits`, { details: fixes.blocked.join('\n'), fix: blockedFix(fixes.blocked, 'cargo fmt'), durationMs });
  }
  if (!fixes.staged.length) return result('pass', crates, { durationMs });
  return result('pass', `reformatted and staged ${fixes.staged.join(', ')}`, { durationMs });
}

/** rustfmt on the user's own version of `path` (stdin to stdout), with its crate's edition. */
async function formatUserVersion(root: string, path: string, user: Buffer, members: WorkspaceCrate[]): Promise<Buffer | null> {
  const owner = [...members].sort((a, b) => b.dir.length - a.dir.length).find((m) => m.dir === '' || path.startsWith(`${m.dir}/`));
  const edition = await crateEdition(root, owner?.dir ?? '');
  const formatted = await run('rustfmt', ['--edition', edition, '--emit', 'stdout', '--quiet'], { cwd: dirname(join(root, path)), input: user });
  return formatted.exitCode === 0 ? formatted.stdout : null;
}

/** The crate's edition (`edition.workspace = true` reads the root's), cargo's default 2015 without one. */
async function crateEdition(root: string, dir: string): Promise<string> {
  const { parse } = await import('smol-toml');
  const read = async (file: string): Promise<Record<string, unknown> | null> => {
    const text = await readTextOrNull(join(root, file));
    try {
      return text === null ? null : (parse(text) as Record<string, unknown>);
    } catch {
      return null;
    }
  };
  const manifest = await read(dir ? `${dir}/Cargo.toml` : 'Cargo.toml');
  const edition = (manifest?.package as { edition?: unknown } | undefined)?.edition;
  if (typeof edition === 'string') return edition;
  if (edition && typeof edition === 'object') {
    const rootManifest = await read('Cargo.toml');
    const shared = ((rootManifest?.workspace as { package?: { edition?: unknown } } | undefined)?.package?.edition);
    if (typeof shared === 'string') return shared;
  }
  return '2015';
}
