// Shared benchmark helpers: timing of real processes, medians, alternating rounds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli.js');
/**
 * The peers (husky, lint-staged, lefthook, prek) live in a temporary folder keyed by
 * bench/package-lock.json, never in this checkout: an install inside it would let a peer's install
 * script write its own files (lefthook.yml) into the repository. ensurePeers() installs them.
 */
const peersLock = readFileSync(join(ROOT, 'bench/package-lock.json'));
export const PEERS = join(tmpdir(), `loom-guard-bench-peers-${createHash('sha256').update(peersLock).digest('hex').slice(0, 12)}`);
export const BENCH_BIN = join(PEERS, 'node_modules/.bin');

export function ensurePeers() {
  if (existsSync(join(BENCH_BIN, 'prek'))) return;
  console.error(`bench: installing the peers (husky, lint-staged, lefthook, prek) into ${PEERS}`);
  mkdirSync(PEERS, { recursive: true });
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(ROOT, 'bench', f), join(PEERS, f));
  // No install scripts: lefthook's would install itself into whatever repository encloses the folder.
  // `npm install`, not `ci`: bench/package-lock.json lists only this platform's prek and lefthook
  // binaries, which `npm ci` rejects; the versions still come from it, and only the copy changes.
  const r = spawnSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: PEERS, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`bench: npm install of the peers failed in ${PEERS}`);
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function benchEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const k of ['LOOM_GUARD_SKIP', 'SKIP_SIMPLE_GIT_HOOKS', 'HUSKY', 'LEFTHOOK', 'PREK_SKIP']) delete env[k];
  Object.assign(env, {
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@example.invalid',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  });
  return { ...env, ...extra };
}

/** Runs a command (argument array), returns wall milliseconds; throws when it fails unless allowed. */
export function timed(command, args, { cwd, env, allowFail = false, input } = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(command, args, { cwd, env: env ?? benchEnv(), encoding: 'utf8', input, maxBuffer: 64 << 20 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (!allowFail && r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${r.stdout}${r.stderr}`);
  }
  return { ms, code: r.status, out: `${r.stdout}${r.stderr}` };
}

export function run(command, args, opts = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', env: benchEnv(), maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

export function tempDir(prefix = 'loom-guard-bench-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Alternating rounds: each round runs every contender once, in rotating order, so a noisy moment
 * of the shared machine hits all of them alike. Returns name -> array of ms.
 */
export function alternate(contenders, rounds) {
  const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const names = Object.keys(contenders);
  for (let i = 0; i < rounds; i++) {
    const order = names.map((_, j) => names[(i + j) % names.length]);
    for (const name of order) samples[name].push(contenders[name](i));
  }
  return samples;
}

export const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
