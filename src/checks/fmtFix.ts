import { dirname, isAbsolute, join, relative } from 'node:path';
import type { Config } from '../config.js';
import type { CrateSelection, WorkspaceCrate } from '../cargo/crates.js';
import { cargoOutput, describeSelection, packageArgs, splitExtra } from '../cargo/steps.js';
import { readTextOrNull } from '../fsx.js';
import { quote } from '../isolate/backup.js';
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

export interface FmtFixOutcome {
  result: CheckResult;
  /** Stages the fixes; the caller calls it only once every other check passed. */
  commit(): Promise<void>;
}

const result = (status: CheckResult['status'], summary: string, extra: Partial<CheckResult> = {}): CheckResult => ({ id: 'fmt', status, summary, ...extra });
const nothing = async () => {};

/*
 * The fix is computed from the STAGED version of each file (rustfmt on stdin), never from what the
 * tree holds when rustfmt reads it: a save in the editor while the hook runs is then neither
 * formatted into the commit nor overwritten (the journaled fix lands by compare-and-swap, and a
 * save that beat it stays). cargo fmt --check only says which files need it, and blocks on files
 * of the staged crates that are not staged.
 */
export async function fixFormatting(opts: FmtFixOptions): Promise<FmtFixOutcome> {
  const { root, edits, selection } = opts;
  const { cargo: cargoExtra, tool: toolExtra } = splitExtra(opts.config.cargoArgs.fmt);
  const args = ['fmt', ...packageArgs(selection, 'fmt'), ...cargoExtra, '--check', '--message-format', 'short', ...(toolExtra.length ? ['--', ...toolExtra] : [])];
  const crates = describeSelection(selection);
  const ran = await run('cargo', args, { cwd: root, env: { ...process.env, CARGO_TERM_COLOR: 'never' } });
  const listed = ran.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => isAbsolute(line))
    .map((line) => relative(root, line))
    .filter((path) => path && !path.startsWith('..'));
  const stderr = ran.stderr.toString('utf8');
  if (ran.exitCode !== 0 && (!listed.length || /^error/m.test(stderr))) {
    const output = cargoOutput(ran);
    const missing = /no such (command|subcommand): .?fmt/.test(output);
    return {
      result: result('fail', crates, {
        details: output || `cargo fmt exited with ${ran.exitCode}`,
        fix: missing ? 'rustup component add rustfmt' : 'fix the syntax error rustfmt reports above, git add the file, commit again',
        durationMs: ran.durationMs,
      }),
      commit: nothing,
    };
  }
  const stagedSet = new Set(opts.staged);
  const notStaged = listed.filter((p) => !stagedSet.has(p));
  if (notStaged.length) {
    return {
      result: result('fail', `${crates}: files that are not staged are not formatted`, {
        details: notStaged.join('\n'),
        fix: `cargo fmt ${packageArgs(selection, 'fmt').join(' ')}, then git add ${notStaged.map(quote).join(' ')}`,
        durationMs: ran.durationMs,
      }),
      commit: nothing,
    };
  }
  const started = performance.now();
  // A staged file saved while cargo fmt read it was judged on the save: judge its staged version too.
  const saved = (await edits.changed(opts.staged.filter((p) => p.endsWith('.rs')))).modified;
  const fixed: string[] = [];
  for (const path of [...new Set([...listed, ...saved])]) {
    const staged = await edits.stagedVersion(path);
    if (!staged) continue;
    const formatted = await formatText(root, path, staged, opts.members, toolExtra);
    if (formatted === null) {
      return {
        result: result('fail', `${crates}: rustfmt cannot format the staged ${path}`, {
          details: `rustfmt failed on the staged version of ${path}`,
          fix: `cargo fmt ${packageArgs(selection, 'fmt').join(' ')} and read its error, git add ${quote(path)}, commit again`,
          durationMs: ran.durationMs + performance.now() - started,
        }),
        commit: nothing,
      };
    }
    if (formatted.equals(staged)) continue;
    await edits.propose(path, formatted);
    fixed.push(path);
  }
  const fixes = await applyFixes(edits, fixed, (path, user) => formatText(root, path, user, opts.members, toolExtra));
  const durationMs = ran.durationMs + performance.now() - started;
  if (fixes.blocked.length) {
    return {
      result: result('fail', `${crates}: a reformatted file has unstaged edits`, { details: fixes.blocked.join('\n'), fix: blockedFix(fixes.blocked, 'cargo fmt'), durationMs }),
      commit: nothing,
    };
  }
  if (!fixes.staged.length) return { result: result('pass', crates, { durationMs }), commit: nothing };
  return { result: result('pass', `reformatted and staged ${fixes.staged.join(', ')}`, { durationMs }), commit: fixes.commit };
}

/**
 * rustfmt on one version of `path` (stdin to stdout), with its crate's edition and the tool options
 * of cargoArgs.fmt (what cargo fmt would pass), from the file's folder (its rustfmt.toml).
 */
async function formatText(root: string, path: string, text: Buffer, members: WorkspaceCrate[], toolExtra: string[]): Promise<Buffer | null> {
  const owner = [...members].sort((a, b) => b.dir.length - a.dir.length).find((m) => m.dir === '' || path.startsWith(`${m.dir}/`));
  const edition = await crateEdition(root, owner?.dir ?? '');
  const rustfmt = process.env.RUSTFMT || 'rustfmt';
  const formatted = await run(rustfmt, ['--edition', edition, ...toolExtra, '--emit', 'stdout', '--quiet'], { cwd: dirname(join(root, path)), input: text });
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
