// (isolate) What 30,000 untracked files cost a one-line commit: `loom-guard pre-commit` on a
// one-line change in a small Loom workspace, with and without 30,000 untracked files (in untracked
// folders, as build outputs, downloads and scratch data are), in alternating rounds. The isolation
// hides an untracked folder with one rename, so the ratio should stay near 1 (target ≤ 2×).
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alternate, benchEnv, CLI, median, run, timed } from './lib.mjs';
import { loomSizedRepo } from './workspace.mjs';

const CRATE = 'loom-crate-03';
const LIB = `crates/${CRATE}/src/lib.rs`;

function addUntracked(dir, count) {
  // 30 folders of 1,000 files, plus a few loose untracked files among tracked ones
  for (let f = 0; f < count / 1000; f++) {
    const folder = join(dir, 'scratch', `batch-${f}`);
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < 1000; i++) writeFileSync(join(folder, `file-${i}.json`), `{"n":${i}}\n`);
  }
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `crates/${CRATE}/notes-${i}.txt`), 'notes\n');
}

export async function benchIsolate({ rounds = 5, files = 30_000, crates = 8 } = {}) {
  const { dir: plain } = await loomSizedRepo(crates, { items: 20 });
  const crowded = join(plain, '..', 'crowded');
  cpSync(plain, crowded, { recursive: true });
  addUntracked(crowded, files);
  const contenders = {};
  for (const [name, dir] of [['one-line commit', plain], [`one-line commit + ${files.toLocaleString('en')} untracked files`, crowded]]) {
    const env = benchEnv({ CARGO_TARGET_DIR: join(dir, 'target') });
    const original = readFileSync(join(dir, LIB), 'utf8');
    let edit = 0;
    contenders[name] = () => {
      edit++;
      writeFileSync(join(dir, LIB), `${original}\npub fn edit_${edit}() -> u64 {\n    ${edit}\n}\n`);
      run('git', ['add', LIB], { cwd: dir });
      return timed(process.execPath, [CLI, 'pre-commit'], { cwd: dir, env }).ms;
    };
  }
  alternate(contenders, 1); // warm-up: builds once (not counted)
  const samples = alternate(contenders, rounds);
  const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  const [base, crowdedName] = Object.keys(medians);
  return { rounds, files, crates, samples, medians, ratio: medians[crowdedName] / medians[base], base, crowdedName };
}

/** Table rows for bench/run.mjs. */
export function rows(r) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  return [[`pre-commit with ${r.files.toLocaleString('en')} untracked files / without (one-line change, ${r.crates} crates)`, `${r.ratio.toFixed(2)}× (${s(r.medians[r.crowdedName])})`, s(r.medians[r.base]), '≤ 2×']];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchIsolate({ rounds: Number(process.argv[2] ?? 5) });
  console.log(JSON.stringify(r, null, 2));
  for (const row of rows(r)) console.log(row.join(' | '));
}
