// Benchmark: `loom-guard migrations check` on a workspace with 40 replay-safe migrations (tables,
// ADD COLUMN, INSERT OR IGNORE, an FTS5 table kept current by triggers), as a whole process (what a
// hook costs) and in-process (the rules and the two-pass SQLite replay alone). With
// LOOM_GUARD_BENCH_BASELINE=<another checkout, built>, that checkout's CLI runs alternately with
// this one on the same repository, so the two whole-process medians are side by side.
//   node bench/migrations-check.mjs      (after npx tsc -p .)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { workspaceRepo } from '../test/helpers/workspace.mjs';
import { benchEnv, CLI, median, ROOT, timed } from './lib.mjs';
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

export async function benchMigrationsCheck({ processRuns = 15, inProcessRuns = 20, count = 40, baseline = process.env.LOOM_GUARD_BENCH_BASELINE } = {}) {
  const { repo } = await workspaceRepo({ crates: 4, install: false, migrations: generateMigrations(count) });
  try {
    const env = benchEnv();
    // Alternating with `--version` (Node start and the CLI's command table) shows what the check adds.
    const whole = [];
    const start = [];
    const before = [];
    const check = (cli) => {
      const r = timed(process.execPath, [cli, 'migrations', 'check'], { cwd: repo.dir, env, allowFail: true });
      if (r.code !== 0) throw new Error(`${cli} migrations check failed (${r.code}):\n${r.out}`);
      return r.ms;
    };
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
    return {
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
}

/** Table rows for bench/run.mjs. */
export function rows(r) {
  return [
    [
      `\`migrations check\`, ${r.migrations} migrations replayed twice (whole process)`,
      `${r.wholeProcessMedianMs} ms`,
      `\`loom-guard --version\` ${r.cliStartMedianMs} ms${r.baseline ? `; baseline checkout ${r.baselineWholeProcessMedianMs} ms` : ''}`,
      '',
    ],
    [`migrations rules + replay in-process, ${r.migrations} migrations`, `${r.inProcessMedianMs} ms`, '', ''],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchMigrationsCheck();
  process.stdout.write(
    `migrations check, ${r.migrations} migrations replayed twice: whole process ${r.wholeProcessMedianMs} ms (median of ${r.wholeProcessRuns}; --version ${r.cliStartMedianMs} ms), ` +
      `rules + replay in-process ${r.inProcessMedianMs} ms (median of ${r.inProcessRuns})` +
      (r.baseline ? `; baseline ${r.baseline}: whole process ${r.baselineWholeProcessMedianMs} ms` : '') +
      '\n',
  );
}
