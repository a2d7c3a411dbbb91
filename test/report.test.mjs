import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { ROOT, Repo } from './helpers/repo.mjs';

const { Reporter, colourEnabled, formatDuration } = await import(join(ROOT, 'dist/report.js'));

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
  assert.is(lines[0], '✔ clippy      2 crates  4.1s');
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

test.run();
