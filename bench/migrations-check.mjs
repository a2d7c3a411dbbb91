// Benchmark: `loom-guard migrations check` on a workspace with 40 replay-safe migrations (tables,
// ADD COLUMN, INSERT OR IGNORE, an FTS5 table kept current by triggers), as a whole process (what a
// hook costs) and in-process (the rules and the two-pass SQLite replay alone). With
// LOOM_GUARD_BENCH_BASELINE=<another checkout, built>, that checkout's CLI runs alternately with
// this one on the same repository, so the two whole-process medians are side by side.
// Then the replay of issue 22 (sealed, bounded, cached): the largest real migration set of
// ../shared/corpus before (main's last commit before the replay merge, built once under the temp
// folder) and after (this checkout), alternating; the WASM start-up a one-file set pays (replay on
// against "replay": "off"); and the cached second run (pre-push after pre-commit: same set, no replay).
// Every replayed run clears the verdict cache first, or it would measure the cache.
//   node bench/migrations-check.mjs      (after npx tsc -p .)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceRepo } from '../test/helpers/workspace.mjs';
import { alternate, benchEnv, CLI, median, ROOT, timed } from './lib.mjs';

/**
 * main's last commit before `Merge branch 'replay'` (93c4a8f), which brought the sealed, bounded,
 * cached replay: the "before" of the corpus row. LOOM_GUARD_BENCH_BEFORE names another commit.
 */
const BEFORE_COMMIT = process.env.LOOM_GUARD_BENCH_BEFORE ?? '099206f3a55dc447948e50f40968a27856d9fb46';
const SHARED_CORPUS = join(ROOT, '../shared/corpus');
const pad = (n) => String(n).padStart(3, '0');

/** Forty migrations that are all safe to replay at every start-up. */
export function generateMigrations(count = 40) {
  const out = {};
  out[`001_create_items.sql`] = `-- Items.
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_items_name ON items (name);
`;
  out[`002_items_fts.sql`] = `-- Full-text search over items, kept current by triggers.
CREATE VIRTUAL TABLE IF NOT EXISTS items_fts USING fts5(item_id UNINDEXED, name, body);
CREATE TRIGGER IF NOT EXISTS items_fts_insert AFTER INSERT ON items
BEGIN
    INSERT INTO items_fts (item_id, name, body) VALUES (new.id, new.name, COALESCE(json_extract(new.meta, '$.summary'), new.body));
END;
CREATE TRIGGER IF NOT EXISTS items_fts_update AFTER UPDATE ON items
BEGIN
    DELETE FROM items_fts WHERE item_id = old.id;
    INSERT INTO items_fts (item_id, name, body) VALUES (new.id, new.name, new.body);
END;
CREATE TRIGGER IF NOT EXISTS items_fts_delete AFTER DELETE ON items
BEGIN
    DELETE FROM items_fts WHERE item_id = old.id;
END;
`;
  for (let i = 3; i <= count; i++) {
    const kind = i % 3;
    let sql;
    if (kind === 0) {
      sql = `-- Table ${i}.
CREATE TABLE IF NOT EXISTS table_${i} (
    id INTEGER PRIMARY KEY,
    item_id TEXT REFERENCES items (id) ON DELETE CASCADE,
    value TEXT,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX IF NOT EXISTS idx_table_${i}_item ON table_${i} (item_id);
`;
    } else if (kind === 1) {
      sql = `-- Column ${i} (safe to replay: "duplicate column" is ignored at start-up).
ALTER TABLE items ADD COLUMN extra_${i} TEXT;
UPDATE items SET extra_${i} = 'x' WHERE extra_${i} IS NULL AND id = 'never';
`;
    } else {
      sql = `-- Seed ${i}.
INSERT OR IGNORE INTO items (id, name, body, meta) VALUES
    ('seed-${i}-a', 'Seed ${i} a', 'body a', json_object('summary', 'seed ${i}')),
    ('seed-${i}-b', 'Seed ${i} b', 'body b', '{}');
`;
    }
    out[`${pad(i)}_step_${i}.sql`] = sql;
  }
  return out;
}

/** Where `migrations check` keeps replay verdicts in a repository (src/checks/migrations.ts). */
const cacheDir = (repo) => join(repo.dir, '.git/loom-guard/replay-cache');
const clearCache = (repo) => rmSync(cacheDir(repo), { recursive: true, force: true });

/**
 * The folder of ../shared/corpus holding the most .sql files (then the most bytes): the largest real
 * migration set. Null without ../shared (a clone of this repository alone).
 */
export function largestCorpusSet(root = SHARED_CORPUS) {
  // LOOM_GUARD_TEST_NO_SHARED=1 hides ../shared here as it does from the tests.
  if (!existsSync(root) || (root === SHARED_CORPUS && /^(1|true|yes)$/i.test(process.env.LOOM_GUARD_TEST_NO_SHARED ?? ''))) return null;
  let best = null;
  const walk = (dir) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const sql = entries.filter((e) => e.isFile() && e.name.endsWith('.sql')).map((e) => e.name).sort();
    if (sql.length) {
      const files = Object.fromEntries(sql.map((n) => [n, readFileSync(join(dir, n), 'utf8')]));
      const bytes = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
      if (!best || sql.length > best.count || (sql.length === best.count && bytes > best.bytes)) best = { dir, count: sql.length, bytes, files };
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(root);
  return best;
}

/**
 * This repository at `commit`, built, under the temp folder (kept between bench runs, keyed by the
 * commit): extracted with `git archive` (no worktree registered in the shared .git), node_modules
 * shared with this checkout when the lock file is the same, else installed. { dir } or { skip }.
 */
export function builtCheckout(commit) {
  const known = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`], { cwd: ROOT, encoding: 'utf8' });
  if (known.status !== 0) return { skip: `commit ${commit.slice(0, 7)} is not in this clone (set LOOM_GUARD_BENCH_BEFORE)` };
  const full = known.stdout.trim();
  const dir = join(tmpdir(), `loom-guard-bench-before-${full.slice(0, 12)}`);
  if (existsSync(join(dir, 'dist/cli.js'))) return { dir, commit: full };
  const staging = `${dir}.${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const archive = spawnSync('git', ['archive', '--format=tar', full], { cwd: ROOT, maxBuffer: 1 << 30 });
  if (archive.status !== 0) return { skip: `git archive ${full.slice(0, 7)} failed: ${String(archive.stderr).trim()}` };
  const untar = spawnSync('tar', ['-x', '-C', staging], { input: archive.stdout });
  if (untar.status !== 0) return { skip: `tar failed: ${String(untar.stderr).trim()}` };
  const sameLock = readFileSync(join(staging, 'package-lock.json'), 'utf8') === readFileSync(join(ROOT, 'package-lock.json'), 'utf8');
  if (sameLock) symlinkSync(join(ROOT, 'node_modules'), join(staging, 'node_modules'), 'dir');
  else if (spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: staging, stdio: 'ignore' }).status !== 0) return { skip: `npm ci failed in ${staging}` };
  const build = spawnSync('npm', ['run', 'build'], { cwd: staging, encoding: 'utf8' });
  if (build.status !== 0) return { skip: `the build of ${full.slice(0, 7)} failed: ${build.stdout}${build.stderr}`.slice(0, 400) };
  renameSync(staging, dir);
  return { dir, commit: full };
}

/** Whole-process `migrations check` in `repo` with `cli`, replayed (cache cleared) unless `cached`. */
function checkRun(cli, repo, env, { cached = false } = {}) {
  if (!cached) clearCache(repo);
  const r = timed(process.execPath, [cli, 'migrations', 'check'], { cwd: repo.dir, env, allowFail: true });
  if (r.code !== 0) throw new Error(`${cli} migrations check failed (${r.code}) in ${repo.dir}:\n${r.out}`);
  return r.ms;
}

/**
 * The replay rows of issue 22: the corpus set before/after, WASM start-up on a one-file set, and
 * the cached second run. Each group alternates its contenders round by round.
 */
export async function benchReplay({ rounds = 11, before = BEFORE_COMMIT } = {}) {
  const env = benchEnv();
  const out = { rounds };
  const corpus = largestCorpusSet();
  if (!corpus) out.corpusSkipped = `${SHARED_CORPUS} not found (a clone without ../shared, or LOOM_GUARD_TEST_NO_SHARED): the corpus rows are skipped`;
  else {
    const { repo } = await workspaceRepo({ crates: 4, install: false, migrations: corpus.files });
    try {
      const baseline = builtCheckout(before);
      const contenders = {
        after: () => checkRun(CLI, repo, env),
        cached: () => checkRun(CLI, repo, env, { cached: true }),
      };
      if (baseline.dir) contenders.before = () => checkRun(join(baseline.dir, 'dist/cli.js'), repo, env);
      checkRun(CLI, repo, env); // warms the file cache; leaves a verdict for `cached`
      const samples = alternate(contenders, rounds);
      out.corpus = {
        set: corpus.dir.slice(SHARED_CORPUS.length + 1),
        files: corpus.count,
        kib: Math.round(corpus.bytes / 102.4) / 10,
        afterMs: Math.round(median(samples.after)),
        cachedMs: Math.round(median(samples.cached)),
        ...(baseline.dir ? { before: baseline.commit.slice(0, 7), beforeMs: Math.round(median(samples.before)) } : { beforeSkipped: baseline.skip }),
      };
    } finally {
      repo.remove();
    }
  }

  // WASM start-up: the same one-file set, replayed against "replay": "off" (the engine never loads).
  const one = { '001_create_items.sql': generateMigrations(2)['001_create_items.sql'] };
  const { repo: on } = await workspaceRepo({ crates: 1, install: false, migrations: one });
  const { repo: off } = await workspaceRepo({ crates: 1, install: false, migrations: one });
  try {
    const config = off.exists('.loom-guard.json') ? JSON.parse(off.read('.loom-guard.json')) : {};
    off.write('.loom-guard.json', `${JSON.stringify({ ...config, replay: 'off' }, null, 2)}\n`);
    const samples = alternate(
      {
        replay: () => checkRun(CLI, on, env),
        off: () => checkRun(CLI, off, env),
        cached: () => checkRun(CLI, on, env, { cached: true }),
        version: () => timed(process.execPath, [CLI, '--version'], { cwd: on.dir, env }).ms,
      },
      rounds,
    );
    out.oneFile = {
      replayMs: Math.round(median(samples.replay)),
      offMs: Math.round(median(samples.off)),
      cachedMs: Math.round(median(samples.cached)),
      versionMs: Math.round(median(samples.version)),
    };
  } finally {
    on.remove();
    off.remove();
  }
  return out;
}

export async function benchMigrationsCheck({ processRuns = 15, inProcessRuns = 20, count = 40, baseline = process.env.LOOM_GUARD_BENCH_BASELINE } = {}) {
  const { repo } = await workspaceRepo({ crates: 4, install: false, migrations: generateMigrations(count) });
  let summary;
  try {
    const env = benchEnv();
    // Alternating with `--version` (Node start and the CLI's command table) shows what the check adds.
    const whole = [];
    const start = [];
    const before = [];
    const check = (cli) => checkRun(cli, repo, env);
    for (let i = 0; i < processRuns; i++) {
      start.push(timed(process.execPath, [CLI, '--version'], { cwd: repo.dir, env }).ms);
      whole.push(check(CLI));
      if (baseline) before.push(check(join(baseline, 'dist/cli.js')));
    }

    const git = await import(join(ROOT, 'dist/git.js'));
    const { loadConfig } = await import(join(ROOT, 'dist/config.js'));
    const { Reporter } = await import(join(ROOT, 'dist/report.js'));
    const { checkMigrations } = await import(join(ROOT, 'dist/checks/migrations.js'));
    const paths = await git.repoPaths(repo.dir);
    const { config } = await loadConfig(paths.root);
    const head = await git.headCommit(paths.root);
    const reporter = new Reporter({ write() {} }, { NO_COLOR: '1' });
    const inProcess = [];
    for (let i = 0; i < inProcessRuns + 1; i++) {
      const reader = new git.BlobReader(paths.root);
      clearCache(repo); // the replay itself, not a cached verdict
      const started = performance.now();
      const result = await checkMigrations(
        { paths, config, reader, target: git.INDEX, base: git.commitSource(head), changes: [], reporter },
        { force: true },
      );
      const ms = performance.now() - started;
      reader.close();
      if (result.status !== 'pass') throw new Error(`in-process check did not pass: ${result.summary}\n${result.details ?? ''}`);
      if (i > 0) inProcess.push(ms); // the first run pays for loading the SQLite engine and picomatch
    }
    summary = {
      migrations: count,
      wholeProcessMedianMs: Math.round(median(whole)),
      wholeProcessRuns: processRuns,
      cliStartMedianMs: Math.round(median(start)),
      ...(baseline ? { baseline, baselineWholeProcessMedianMs: Math.round(median(before)) } : {}),
      inProcessMedianMs: Math.round(median(inProcess) * 10) / 10,
      inProcessRuns,
    };
  } finally {
    repo.remove();
  }
  return { ...summary, replay: await benchReplay() };
}

const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

/** Table rows for bench/run.mjs. */
export function rows(r) {
  const out = [
    [
      `\`migrations check\`, ${r.migrations} migrations replayed twice (whole process)`,
      `${r.wholeProcessMedianMs} ms`,
      `\`loom-guard --version\` ${r.cliStartMedianMs} ms${r.baseline ? `; baseline checkout ${r.baselineWholeProcessMedianMs} ms` : ''}`,
      '',
    ],
    [`migrations rules + replay in-process, ${r.migrations} migrations`, `${r.inProcessMedianMs} ms`, '', ''],
  ];
  const p = r.replay;
  if (!p) return out;
  if (p.corpusSkipped) out.push([`\`migrations check\` on the largest corpus set: skipped (${p.corpusSkipped})`, '', '', '']);
  else {
    const c = p.corpus;
    out.push([
      `\`migrations check\`, largest corpus set (${c.set}, ${c.files} files, ${c.kib} KiB), replayed (whole process)`,
      `${c.afterMs} ms`,
      c.beforeMs !== undefined ? `before the replay merge (${c.before}) ${c.beforeMs} ms: ${ratio(c.afterMs, c.beforeMs)}` : `before: skipped (${c.beforeSkipped})`,
      '',
    ]);
    out.push([`same set, verdict cached (pre-push after pre-commit: no replay, no SQLite loaded)`, `${c.cachedMs} ms`, `replayed ${c.afterMs} ms: ${ratio(c.cachedMs, c.afterMs)}`, 'no replay']);
  }
  const o = p.oneFile;
  out.push([
    '`migrations check`, one-file set: WASM start-up (replay on − `"replay": "off"`)',
    `${o.replayMs - o.offMs} ms`,
    `replay ${o.replayMs} ms, off ${o.offMs} ms, cached ${o.cachedMs} ms, \`--version\` ${o.versionMs} ms`,
    '',
  ]);
  return out;
}
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchMigrationsCheck();
  for (const row of rows(r).slice(2)) process.stdout.write(`${row.filter(Boolean).join(' — ')}\n`);
  process.stdout.write(
    `migrations check, ${r.migrations} migrations replayed twice: whole process ${r.wholeProcessMedianMs} ms (median of ${r.wholeProcessRuns}; --version ${r.cliStartMedianMs} ms), ` +
      `rules + replay in-process ${r.inProcessMedianMs} ms (median of ${r.inProcessRuns})` +
      (r.baseline ? `; baseline ${r.baseline}: whole process ${r.baselineWholeProcessMedianMs} ms` : '') +
      '\n',
  );
}
