#!/usr/bin/env node
import { parseArgs, type FlagSpec } from './args.js';
import { GuardError, UsageError } from './errors.js';
import type { CommandRun } from './commands/types.js';
import { CHECK_IDS } from './checkIds.js';
import { cargoTipIds, commitGroups, stagedGroups, tipRunners } from './checks/definitions.js';

/** `a, b and c` */
const list = (ids: readonly string[]) => (ids.length < 2 ? ids.join('') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}`);
const STAGED_IDS = stagedGroups().flatMap((g) => g.ids);
const COMMIT_IDS = commitGroups().flatMap((g) => g.ids);
const TIP_RUNS = tipRunners().map((t) => t.id);

/*
 * The command table. Each command's module is imported only when that command runs, so
 * `loom-guard --help` and a hook that has nothing to do never load the SQLite engine, the TOML
 * parser or the cargo runner.
 */
interface Command {
  usage: string;
  summary: string;
  help: string;
  flags: FlagSpec;
  load: () => Promise<{ run: CommandRun }>;
}

/** The post-* hooks that keep pre-commit's no-op patterns current: one module, one help text. */
function refreshHook(hook: string, after: string): Command {
  return {
    usage: `loom-guard ${hook}`,
    summary: `what the ${hook} hook runs: refreshes the pre-commit hook's patterns after ${after}`,
    help: `The ${hook} hook starts it only when a config, a lint-staged config or a Cargo.toml changed:
it re-renders the pre-commit shims' no-op patterns, so the next commit sees a lint-staged config or
a crate that arrived this way. It never fails the git command.`,
    flags: {},
    load: () => import('./commands/refreshShim.js'),
  };
}

const COMMANDS: Record<string, Command> = {
  install: {
    usage: 'loom-guard install',
    summary: 'write the pre-commit and pre-push hooks of this repository',
    help: `Writes the pre-commit and pre-push hooks where git looks for them (git rev-parse --git-path
hooks: honours core.hooksPath and linked worktrees), with pre-merge-commit, and post-checkout,
post-merge and post-rewrite, which keep pre-commit's no-op patterns current. A hook loom-guard did not write is kept as
<hook>.loom-guard-chained and still runs before loom-guard; uninstall puts it back byte for byte.
Running install again refreshes the shims and changes nothing else.`,
    flags: {},
    load: () => import('./commands/install.js'),
  },
  uninstall: {
    usage: 'loom-guard uninstall',
    summary: 'remove loom-guard hooks, restoring any hook they chained',
    help: `Removes the hooks loom-guard wrote and restores, byte for byte, any hook it had chained.
Hooks it did not write are left alone. A package.json "prepare": "loom-guard install" script (the
one README suggests) is taken out too; a prepare script that does more is left, with advice.`,
    flags: {},
    load: () => import('./commands/uninstall.js'),
  },
  'pre-commit': {
    usage: 'loom-guard pre-commit',
    summary: 'what the pre-commit hook runs: the checks on exactly the staged content',
    help: `Runs ${list(STAGED_IDS)} on exactly what is staged.
nix-sync is inactive (one dim line, never a failure) in a repository without Cargo.nix.
Opt out with LOOM_GUARD_SKIP=1 (everything) or LOOM_GUARD_SKIP=clippy,build (those checks);
SKIP_SIMPLE_GIT_HOOKS=1 and git commit --no-verify work too.`,
    flags: {},
    load: () => import('./commands/preCommit.js'),
  },
  'pre-merge-commit': {
    usage: 'loom-guard pre-merge-commit',
    summary: 'what the pre-merge-commit hook runs: the pre-commit checks on a merge git commits by itself',
    help: `git merge that commits without conflicts runs pre-merge-commit, not pre-commit: the same checks
run on exactly the merge result that is staged. git merge --no-verify skips them.`,
    flags: {},
    load: () => import('./commands/preCommit.js'),
  },
  'pre-push': {
    usage: 'loom-guard pre-push <remote> <url>',
    summary: 'what the pre-push hook runs: the full check on what is pushed',
    help: `Reads git's ref lines on standard input and checks every pushed commit (${COMMIT_IDS.join(', ')})
and the tip of each pushed ref (${cargoTipIds().join(', ')} on the workspace${TIP_RUNS.length ? `; ${TIP_RUNS.join(', ')} when the config asks` : ''}).`,
    flags: {},
    load: () => import('./commands/prePush.js'),
  },
  'post-checkout': refreshHook('post-checkout', 'git checkout and switch'),
  'post-merge': refreshHook('post-merge', 'git merge and pull'),
  'post-rewrite': refreshHook('post-rewrite', 'git rebase and commit --amend'),
  'refresh-shim': {
    usage: 'loom-guard refresh-shim',
    summary: 'bring the pre-commit hook\'s no-op patterns up to date now (configs, manifests, files cargo read)',
    help: `Re-renders the installed pre-commit shims' no-op patterns from the effective config, the crate
folders and cargo's dep-info (the files some unit read outside every crate folder, from the records
in the target folder: run it after a build). Unlike the refresh the hooks make, it may run cargo
metadata to learn the workspace members (no build). Prints whether the shim changed.`,
    flags: {},
    load: async () => ({ run: (await import('./commands/refreshShim.js')).runNow }),
  },
  check: {
    usage: 'loom-guard check [ID...] [--staged | --all | --range A..B] [--files PATH...] [--json]',
    summary: 'run the checks by hand or in CI',
    help: `ID...           only these checks (${CHECK_IDS.join(', ')});
                default: every check of the mode
--staged        the staged content, like the pre-commit hook (default)
--all           HEAD's whole tree: every migration rule over every migration, nix-sync on the
                whole tree, fmt, clippy, build and test on the whole workspace
--range A..B    every commit in the range and its tip, like the pre-push hook
--files PATH... only these files (folders: their files) and their crates, as they are in the
                working tree, like prek run --files; with --staged, their staged content
--json          the results as JSON on stdout, in every mode (errors too)

Examples:
  loom-guard check clippy --files crates/loom-core/src/lib.rs
  loom-guard check migrations nix-sync --all
  loom-guard check --staged --json`,
    flags: { staged: 'boolean', all: 'boolean', range: 'string', files: 'list', json: 'boolean' },
    load: () => import('./commands/check.js'),
  },
  doctor: {
    usage: 'loom-guard doctor [--json]',
    summary: 'diagnose the set-up, one line per finding with a fix',
    help: `Checks git, Node, the installed hooks, skip variables, the Rust toolchain, the dev-fast profile,
Cargo.nix (lock hash, resources stamp, the generator nix update runs and what it needs: nix run needs
nix-command and flakes), migrations, the protected ref, the config and leftovers of an interrupted
run. Exit 1 when anything blocks every commit, disables the guard, or leaves nix update without a
working generator.
--json   the findings as JSON on stdout`,
    flags: { json: 'boolean' },
    load: () => import('./commands/doctor.js'),
  },
  'nix check': {
    usage: 'loom-guard nix check [--json]',
    summary: 'is Cargo.nix in sync with Cargo.lock, the manifests and the embedded resources?',
    help: `Checks the staged state (the committed state when nothing is staged). Exit 0 in sync (a warning
for crates only in Cargo.lock, which older cargo2nix leaves out when unused; a block when a workspace
crate needs one: a non-optional dependency the lock records), 1 out of sync, 2 cannot tell. Inactive, with a note, in a repository without Cargo.nix.
--json   the verdict, findings, both hashes and the stamp as JSON on stdout`,
    flags: { json: 'boolean' },
    load: () => import('./commands/nixCheck.js'),
  },
  'nix update': {
    usage: 'loom-guard nix update',
    summary: 'regenerate Cargo.nix (cargo2nix) and write the resources stamp',
    help: `Runs the configured generator (default: the repository's cargo2nix-update on PATH, else
cargo2nix -o -l, else nix run of cargo2nix 0.12), then writes the resources stamp into Cargo.nix.
Cargo.nix is copied aside first and put back byte for byte when the generator fails, leaves it cut
short or is interrupted; the report names the command, its exit code and its last lines.
Without a working generator, writes only the stamp when the lock hash already matches; otherwise
writes nothing and exits 1.`,
    flags: {},
    load: () => import('./commands/nixUpdate.js'),
  },
  'migrations check': {
    usage: 'loom-guard migrations check',
    summary: 'check migration names, numbering, registration and replay safety',
    help: `Checks every migrations folder (default crates/*/migrations) in the staged state: names,
numbering against the protected ref, edits to migrations already there, include_str! registration,
and a replay on SQLite the way the server runs them at every start.`,
    flags: {},
    load: () => import('./commands/migrationsCheck.js'),
  },
  'migrations new': {
    usage: 'loom-guard migrations new <name> [--folder <dir>]',
    summary: 'create the next-numbered migration file',
    help: `Creates the next migration in the configured naming scheme (loom NNN_<slug>.sql, sqlx a UTC
timestamp, refinery V<n>__<slug>.sql) above the highest in the folder and on the protected ref,
prints the include_str! line to add, and reminds you to run loom-guard nix update.`,
    flags: { folder: 'string' },
    load: () => import('./commands/migrationsNew.js'),
  },
  'cache prune': {
    usage: 'loom-guard cache prune',
    summary: 'remove the private checkouts pre-push keeps, and say how much disk that freed',
    help: `pre-push runs the full check in a private checkout (in the user cache folder, with its own
target folder) whenever the working tree is not exactly the pushed commit. This removes every such
checkout of every repository on this machine, except one a running loom-guard is using, and prints
one line with the disk it freed. The repositories' own target/ folders are not touched; the next
push that needs a private checkout starts it again, warm from the repository's target/.
loom-guard doctor states what the private checkout of a repository costs.`,
    flags: {},
    load: () => import('./commands/cachePrune.js'),
  },
  demo: {
    usage: 'loom-guard demo [--keep]',
    summary: 'walk real commits and pushes through the hooks in a throwaway Loom-shaped repo',
    help: `Builds a throwaway Loom-shaped repository (a few crates, the embedded migrations, Cargo.lock, a
Cargo.nix with a correct lock hash and stamp, a bare remote), installs the hooks and walks real
scenarios with real git. Exits 0 only if every scenario behaved as expected, and ends with the
commands that install loom-guard into your own repository.
--keep   keep the throwaway repository and print where it is`,
    flags: { keep: 'boolean' },
    load: () => import('./commands/demo.js'),
  },
};

const GROUPS: Record<string, string> = {
  nix: 'Cargo.nix sync: check, update',
  migrations: 'SQL migrations: check, new',
  cache: 'pre-push private checkouts: prune',
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `loom-guard: git hooks that keep a cargo2nix Rust workspace deployable

Usage: loom-guard <command> [options]

Commands:
${lines.join('\n')}

Options:
  --help       help for any command (loom-guard <command> --help)
  --version    print the version

Check ids (for loom-guard check ID... and LOOM_GUARD_SKIP): ${CHECK_IDS.join(', ')}
Exit codes: 0 pass, 1 a check blocked, 2 usage or set-up error.
`;
}

function commandHelp(name: string, command: Command): string {
  return `Usage: ${command.usage}

${command.summary[0]?.toUpperCase()}${command.summary.slice(1)}.

${command.help}
`;
}

function groupHelp(group: string): string {
  const subs = Object.entries(COMMANDS).filter(([name]) => name.startsWith(`${group} `));
  return `Usage: loom-guard ${group} <${subs.map(([n]) => n.split(' ')[1]).join('|')}>

${GROUPS[group]}

${subs.map(([n, c]) => `  ${n.padEnd(18)}  ${c.summary}`).join('\n')}
`;
}

async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(mainHelp());
    return first === undefined ? 2 : 0;
  }
  if (first === '--version' || first === '-v' || first === '-V') {
    const { version } = await import('./version.js');
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  let name = first;
  let rest = argv.slice(1);
  if (first in GROUPS) {
    if (second === undefined || second === '--help' || second === '-h') {
      process.stdout.write(groupHelp(first));
      return second === undefined ? 2 : 0;
    }
    name = `${first} ${second}`;
    rest = argv.slice(2);
    if (!(name in COMMANDS)) {
      const { didYouMean } = await import('./didYouMean.js');
      const subs = Object.keys(COMMANDS).filter((k) => k.startsWith(`${first} `)).map((k) => k.split(' ')[1] as string);
      throw new UsageError(`${first}: unknown subcommand "${second}"${didYouMean(second, subs)} (see loom-guard ${first} --help)`);
    }
  }
  const command = COMMANDS[name];
  if (!command) {
    const { didYouMean } = await import('./didYouMean.js');
    throw new UsageError(`unknown command "${first}"${didYouMean(first, Object.keys(COMMANDS).filter((k) => !k.includes(' ')).concat(Object.keys(GROUPS)))} (see loom-guard --help)`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(name, command));
    return 0;
  }
  const args = parseArgs(rest, command.flags, name);
  const module = await command.load();
  return module.run(args);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    if (error instanceof GuardError) {
      const { pasteable } = await import('./invocation.js');
      process.stderr.write(`loom-guard: ${pasteable(error.message)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    // An unexpected failure is still one line; LOOM_GUARD_DEBUG=1 shows the stack for a bug report.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`loom-guard: internal error: ${message} (set LOOM_GUARD_DEBUG=1 for details and report it)\n`);
    if (process.env.LOOM_GUARD_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 2;
  },
);
