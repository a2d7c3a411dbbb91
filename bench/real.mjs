// `npm run bench -- --real`: pre-push and pre-commit on a realistic workspace (bench/realWorkspace.mjs:
// 24 Loom-shaped members on about 135 real third-party crates from the Debian registry), with
// loom-guard installed as README recommends (an ignored node_modules/ at the root) and an untracked
// notes file beside every push (in place when dep-info proves no unit read them). Side by side in one run:
// - the first push after the user's own build against the four workspace commands by hand after the
//   same kind of edit;
// - a push from a dirty tracked tree, which needs the private checkout (created here, warm from target/);
// - later pushes (one mid-layer crate edited) against the four commands by hand (another edit of
//   the same crate), alternating;
// - a README-only push;
// - the private checkout's disk against the repository's target/;
// - the next `cargo build --profile dev-fast -p <crate>` after a hook commit, per lint mode.
// Takes several minutes: the third-party crates compile once cold (dev, check, dev-fast).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv, CLI, median, ROOT } from './lib.mjs';
import { MEMBERS, realWorkspaceRepo } from './realWorkspace.mjs';

const CRATE = 'loom-events';
const LIB = `crates/${CRATE}/src/lib.rs`;
const FOUR = [
  ['fmt', '--all', '--', '--check'],
  ['clippy', '--workspace', '--', '-D', 'warnings'],
  ['build', '--workspace'],
  ['test', '--workspace'],
];

const du = (path) => {
  if (!existsSync(path)) return 0;
  const r = spawnSync('du', ['-sk', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0]) * 1024;
};
const compiledIn = (out) => (out.match(/^\s*Compiling /gm) ?? []).length;

export async function benchReal({ rounds = 3, items = 30, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const base = benchEnv();
  for (const key of ['CARGO_TARGET_DIR', 'GIT_DIR', 'GIT_INDEX_FILE', 'GIT_WORK_TREE', 'RUSTUP_TOOLCHAIN']) delete base[key];
  log('  generating the workspace and resolving Cargo.lock against the Debian registry');
  const { dir, env: cargoEnv } = realWorkspaceRepo({ items, baseEnv: base });
  const top = join(dir, '..');
  const env = { ...cargoEnv, XDG_CACHE_HOME: join(top, 'cache') };
  const sh = (cmd, args, input) => {
    const started = performance.now();
    const r = spawnSync(cmd, args, { cwd: dir, env, input, encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.error) throw r.error;
    return { code: r.status ?? 128, out: (r.stdout ?? '') + (r.stderr ?? ''), ms: performance.now() - started };
  };
  const ok = (cmd, args, input) => {
    const r = sh(cmd, args, input);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed:\n${r.out.slice(-4000)}`);
    return r;
  };
  const git = (...args) => ok('git', args).out.trim();
  try {
    const packages = (readFileSync(join(dir, 'Cargo.lock'), 'utf8').match(/^name = /gm) ?? []).length;
    const byHand = (label) => {
      let ms = 0;
      for (const args of FOUR) ms += ok('cargo', args).ms;
      log(`  ${label}: ${(ms / 1000).toFixed(1)} s`);
      return ms;
    };
    const original = readFileSync(join(dir, LIB), 'utf8');
    let edits = 0;
    const editCommit = (path = LIB) => {
      edits += 1;
      if (path === LIB) writeFileSync(join(dir, LIB), `${original}\npub fn bench_${edits}() -> u64 {\n    ${edits}\n}\n`);
      else writeFileSync(join(dir, path), `${readFileSync(join(dir, path), 'utf8')}\nEdit ${edits}.\n`);
      git('commit', '-q', '--no-verify', '-am', `bench edit ${edits}`);
    };
    let last = '0'.repeat(40);
    const push = (label, expect) => {
      const sha = git('rev-parse', 'HEAD');
      const r = sh(process.execPath, [CLI, 'pre-push', 'origin', 'bench'], `refs/heads/main ${sha} refs/heads/main ${last}\n`);
      if (r.code !== 0) throw new Error(`${label}: pre-push failed:\n${r.out.slice(-4000)}`);
      if (expect && !expect.test(r.out)) throw new Error(`${label}: expected ${expect}:\n${r.out}`);
      last = sha;
      log(`  ${label}: ${(r.ms / 1000).toFixed(1)} s`);
      return r;
    };

    // The user's own first run of the four commands (cold): target/ holds every third-party unit.
    const cold = byHand(`the four commands by hand, cold (${packages - MEMBERS.length} third-party crates)`);
    // loom-guard as a devDependency, and a notes file: the working tree is not the commit.
    mkdirSync(join(dir, 'node_modules/loom-guard'), { recursive: true });
    writeFileSync(join(dir, 'node_modules/loom-guard/package.json'), '{ "name": "loom-guard" }\n');
    writeFileSync(join(dir, 'notes.txt'), 'untracked\n');

    editCommit();
    const handFirst = byHand('by hand after a one-crate edit');
    // node_modules/ and notes.txt are beside the commit: the run counts once dep-info proves them unread.
    const first = push('first push (node_modules/ and an untracked file beside it)', /in the working tree/);
    const firstWhere = /does not count/.test(first.out) ? 'private checkout (the in-place proof failed)' : 'in place, proven unread by dep-info';

    // Later pushes: one mid-layer crate edited, then pushed; one mid-layer crate edited, then the
    // four commands by hand; order alternating. Each side meets its own fresh edit: with one edit
    // for both, whichever ran second would find the crate compiled by the other.
    const later = [];
    const hand = [];
    for (let i = 0; i < rounds; i++) {
      const pushOne = () => {
        editCommit();
        later.push(push(`later push ${i + 1}`, /affected since/).ms);
      };
      const handOne = () => {
        editCommit();
        hand.push(byHand(`by hand ${i + 1}`));
      };
      if (i % 2 === 0) {
        pushOne();
        handOne();
      } else {
        handOne();
        pushOne();
      }
    }

    // A push whose only change is README.md: the last by-hand edit is pushed first (not measured),
    // so that the README commit is the only change since a passed tree.
    if (git('rev-parse', 'HEAD') !== last) push('catch-up push of the last by-hand edit (not measured)');
    editCommit('README.md');
    const readme = push('README-only push');
    const readmeRan = /no crate reads the changes .*: its verdict stands/.test(readme.out) || (/\(cached\)/.test(readme.out) && !/✔\s+test\s+(workspace|\d+ crate)/.test(readme.out)) ? 'reused the passed verdict' : /✔\s+test\s+workspace/.test(readme.out) ? 'ran the cargo steps on the workspace' : 'ran cargo steps';

    // An unsaved edit to a tracked file needs the private checkout; its target starts from target/.
    const userUnits = new Set(readdirSync(join(dir, 'target/debug/.fingerprint')));
    editCommit();
    const handPrivate = byHand('by hand after a one-crate edit (for the private-checkout push)');
    writeFileSync(join(dir, 'README.md'), `${readFileSync(join(dir, 'README.md'), 'utf8')}\nunsaved\n`);
    const priv = push('push from a dirty tree (private checkout created)', /target folder starts from yours/);
    git('checkout', '--', 'README.md');
    const layoutMod = await import(join(ROOT, 'dist/push/pushTree.js'));
    const gitDir = join(dir, '.git');
    const layout = await layoutMod.pushTreeLayout({ root: dir, gitDir, commonDir: gitDir, hooksDir: join(gitDir, 'hooks') }, env);
    const memberNames = new Set(MEMBERS.map(([n]) => n));
    const thirdPartyCompiled = readdirSync(join(layout.target, 'debug/.fingerprint')).filter((u) => !memberNames.has(u.replace(/-[0-9a-f]{16}$/, '')) && !userUnits.has(u)).length;

    const disk = { checkout: du(layout.base), target: du(join(dir, 'target')) };
    log(`  disk: private checkout ${(disk.checkout / 2 ** 20).toFixed(0)} MB, target/ ${(disk.target / 2 ** 20).toFixed(0)} MB`);

    // The next dev-fast build after a hook commit, per lint mode (first hook run per mode warms up).
    const next = {};
    for (const lint of ['parallel', 'single-pass']) {
      writeFileSync(join(dir, '.loom-guard.json'), `${JSON.stringify({ lint })}\n`);
      git('add', '.loom-guard.json');
      const samples = [];
      for (let i = 0; i < 2; i++) {
        writeFileSync(join(dir, LIB), `${original}\npub fn hook_${lint.replace('-', '_')}_${i}() -> u64 {\n    ${i}\n}\n`);
        git('add', LIB);
        const hook = ok(process.execPath, [CLI, 'pre-commit']);
        const build = ok('cargo', ['build', '--profile', 'dev-fast', '-p', CRATE]);
        samples.push({ hookMs: hook.ms, buildMs: build.ms, compiled: compiledIn(build.out) });
      }
      const measured = samples[samples.length - 1];
      next[lint] = measured;
      log(`  ${lint}: hook ${(measured.hookMs / 1000).toFixed(1)} s, next dev-fast build ${(measured.buildMs / 1000).toFixed(2)} s, ${measured.compiled} crates compiled`);
    }

    return {
      name: 'real workspace',
      members: MEMBERS.length,
      thirdParty: packages - MEMBERS.length,
      rounds,
      coldByHandMs: cold,
      first: { pushMs: first.ms, handMs: handFirst, ratio: first.ms / handFirst, where: firstWhere },
      private: { pushMs: priv.ms, handMs: handPrivate, ratio: priv.ms / handPrivate, thirdPartyCompiled },
      later: { samples: later, hand, pushMs: median(later), handMs: median(hand), ratio: median(later) / median(hand) },
      readme: { ms: readme.ms, ran: readmeRan },
      disk: { ...disk, ratio: disk.target ? disk.checkout / disk.target : 0 },
      nextBuild: next,
    };
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
}

export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
  const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
  const ws = `${r.members} members, ${r.thirdParty} real crates`;
  return [
    [`real workspace (${ws}): first push with node_modules/ and an untracked file / the four commands by hand`, `${r.first.ratio.toFixed(2)}× (${s(r.first.pushMs)})`, `${s(r.first.handMs)}; ${r.first.where}`, '≤ 1.3×'],
    ['real workspace: push from a dirty tracked tree (private checkout, first) / the four commands by hand', `${r.private.ratio.toFixed(2)}× (${s(r.private.pushMs)})`, `${s(r.private.handMs)}; ${r.private.thirdPartyCompiled} third-party units compiled by the push`, ''],
    ['real workspace: later pushes (one mid-layer crate edited) / the four commands by hand', `${r.later.ratio.toFixed(2)}× (${s(r.later.pushMs)})`, s(r.later.handMs), '≤ 0.8×'],
    ['real workspace: README-only push', s(r.readme.ms), r.readme.ran, '≤ 2 s'],
    ['real workspace: private checkout disk / target/', `${Math.round(100 * r.disk.ratio)}% (${mb(r.disk.checkout)})`, mb(r.disk.target), '≤ 25%'],
    [
      'real workspace: next `cargo build --profile dev-fast -p <crate>` after a hook commit (`lint`: parallel)',
      `${r.nextBuild.parallel.compiled} crates compiled (${s(r.nextBuild.parallel.buildMs)})`,
      `single-pass: ${r.nextBuild['single-pass'].compiled} compiled (${s(r.nextBuild['single-pass'].buildMs)}); hook ${s(r.nextBuild.parallel.hookMs)} against ${s(r.nextBuild['single-pass'].hookMs)}`,
      'nothing compiled',
    ],
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await benchReal({ rounds: Number(process.env.BENCH_RUNS ?? 3) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  for (const row of rows(result)) process.stdout.write(`| ${row.join(' | ')} |\n`);
}
