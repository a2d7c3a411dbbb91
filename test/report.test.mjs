import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ROOT, Repo } from './helpers/repo.mjs';

const { Reporter, colourEnabled, formatDuration } = await import(join(ROOT, 'dist/report.js'));
const { Progress } = await import(join(ROOT, 'dist/progress.js'));

const capture = (isTTY) => {
  let text = '';
  return { stream: { isTTY, write: (t) => (text += t) }, text: () => text };
};
const ANSI = /\x1b\[\d+m/;

test('colour: FORCE_COLOR wins, then NO_COLOR, then whether the stream is a terminal', () => {
  assert.is(colourEnabled({ isTTY: true }, {}), true);
  assert.is(colourEnabled({ isTTY: false }, {}), false);
  assert.is(colourEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.is(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' }), true);
  assert.is(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' }), false);
  assert.is(colourEnabled({ isTTY: true }, { TERM: 'dumb' }), false);
});

test('one line per check with status, summary and time; details and fix only on failure', () => {
  const out = capture(false);
  const r = new Reporter(out.stream, {});
  r.check({ id: 'clippy', status: 'pass', summary: '2 crates', details: 'hidden', durationMs: 4100 });
  r.check({ id: 'fmt', status: 'fail', summary: '1 crate', details: 'Diff in lib.rs', fix: 'cargo fmt -p a', durationMs: 12 });
  r.summary(5000, 'pre-commit');
  const lines = out.text().split('\n');
  assert.is(lines[0], '✔ clippy       2 crates  4.1s');
  assert.not.ok(out.text().includes('hidden'));
  assert.match(out.text(), /✖ fmt\s+1 crate  12ms\n    Diff in lib.rs\n    fix: cargo fmt -p a\n/);
  assert.match(out.text(), /loom-guard pre-commit: 1 passed, 1 failed in 5.0s/);
  assert.not.match(out.text(), ANSI);
  assert.ok(r.failed());
});

test('colours appear with FORCE_COLOR and not with NO_COLOR', () => {
  const coloured = capture(false);
  new Reporter(coloured.stream, { FORCE_COLOR: '1' }).check({ id: 'build', status: 'fail', summary: 'x' });
  assert.match(coloured.text(), ANSI);
  const plain = capture(true);
  new Reporter(plain.stream, { NO_COLOR: '1' }).check({ id: 'build', status: 'fail', summary: 'x' });
  assert.not.match(plain.text(), ANSI);
});

test('durations read naturally', () => {
  assert.is(formatDuration(12.4), '12ms');
  assert.is(formatDuration(4100), '4.1s');
  assert.is(formatDuration(125_000), '2m5s');
});

test('through a real hook, output is plain when git runs it without a terminal', () => {
  const repo = Repo.init();
  repo.write('.loom-guard.json', JSON.stringify({ migrations: ['db'] }));
  repo.write('db/001_a.sql', 'CREATE TABLE IF NOT EXISTS a (id INTEGER);\n');
  repo.install();
  const c = repo.commit('migration', { env: { NO_COLOR: '' } });
  assert.is(c.code, 0, c.out);
  assert.match(c.out, /✔ migrations/);
  assert.not.match(c.out, ANSI);
  repo.remove();
});

test('on a terminal the progress line is redrawn in place, and clearAll (Ctrl-C) wipes it before anything is said', async () => {
  const out = capture(true);
  const progress = new Progress(out.stream, '2 crates (a, b)');
  progress.start('clippy');
  await new Promise((r) => setTimeout(r, 1400));
  assert.match(out.text(), /\r\x1b\[Kloom-guard: running clippy 1s on 2 crates \(a, b\)…$/);
  Progress.clearAll();
  assert.ok(out.text().endsWith('\r\x1b[K'), JSON.stringify(out.text().slice(-40)));
  const after = out.text().length;
  await new Promise((r) => setTimeout(r, 600));
  assert.is(out.text().length, after, 'nothing is drawn after it was cleared');
});

test('long summary and fix lines wrap under their own column on a terminal, never in a pipe', () => {
  const long = 'Cargo.nix 1111111111 is out of sync with Cargo.lock 2222222222 (Cargo.lock changed, Cargo.nix did not)';
  const tty = capture(true);
  tty.stream.columns = 60;
  new Reporter(tty.stream, { NO_COLOR: '1' }).check({ id: 'nix-sync', status: 'fail', summary: long, fix: 'run the generator with a very long explanation of what it is going to do next' });
  const lines = tty.text().trimEnd().split('\n');
  assert.ok(lines.length >= 4, tty.text());
  for (const line of lines) assert.ok(line.length <= 60, `fits: "${line}"`);
  assert.ok(lines[1].startsWith('    ') && lines.at(-1).startsWith('         '), tty.text());
  const pipe = capture(false);
  new Reporter(pipe.stream, {}).check({ id: 'nix-sync', status: 'fail', summary: long });
  assert.is(pipe.text().trimEnd().split('\n').length, 1);
});

test.run();
