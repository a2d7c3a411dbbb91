import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GuardError } from '../errors.js';
import { reinstallCommand } from '../invocation.js';
import { loadNodeEngine } from './node.js';
import type { Engine, EngineName } from './types.js';

/*
 * Which SQLite the replay runs on: node:sqlite where this Node has it, the official WASM build
 * otherwise; neither is a native addon to compile at install. LOOM_GUARD_SQLITE=node|wasm forces
 * one (tests run the replay on each engine the machine has). Loaded only by the commands that
 * replay: importing this module costs nothing until loadEngine() is called.
 */

export type { Database, Engine, EngineName } from './types.js';
export { SqliteError } from './types.js';

const ALIASES: Record<string, EngineName> = { node: 'node:sqlite', 'node:sqlite': 'node:sqlite', wasm: 'sqlite-wasm', 'sqlite-wasm': 'sqlite-wasm' };

/** Whether LOOM_GUARD_SQLITE's value names an engine. */
export const isEngineAlias = (value: string) => Object.hasOwn(ALIASES, value);

const loaded = new Map<EngineName, Promise<Engine>>();

async function load(name: EngineName): Promise<Engine> {
  if (name === 'sqlite-wasm') {
    try {
      return await (await import('./wasm.js')).loadWasmEngine();
    } catch (error) {
      // A missing or damaged package is a set-up problem: one line, exit 2, not a stack trace.
      throw new GuardError(`cannot load the SQLite WASM build (@sqlite.org/sqlite-wasm): ${(error as Error).message.split('\n')[0]}: reinstall loom-guard's dependencies: ${reinstallCommand()}`);
    }
  }
  const engine = loadNodeEngine();
  if ('unavailable' in engine) throw new GuardError(`${engine.unavailable}: unset LOOM_GUARD_SQLITE (or set it to wasm) to replay on the SQLite WASM build`);
  return engine;
}

function cached(name: EngineName): Promise<Engine> {
  let engine = loaded.get(name);
  if (!engine) {
    engine = load(name);
    loaded.set(name, engine);
  }
  return engine;
}

/** The engine asked for (by name or through LOOM_GUARD_SQLITE), else the best this runtime has. */
export function loadEngine(name?: EngineName, env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
  if (name) return cached(name);
  const forced = env.LOOM_GUARD_SQLITE?.trim();
  if (forced) {
    const alias = ALIASES[forced];
    if (!alias) return Promise.reject(new GuardError(`LOOM_GUARD_SQLITE=${forced} is not an engine: use node or wasm, or unset it`));
    return cached(alias);
  }
  return 'unavailable' in loadNodeEngine() ? cached('sqlite-wasm') : cached('node:sqlite');
}

/**
 * The engine loadEngine would pick, without loading it: a replay verdict is cached per engine, and
 * a cached set must not pay for starting the WASM build.
 */
export function pickEngine(name?: EngineName, env: NodeJS.ProcessEnv = process.env): EngineName {
  if (name) return name;
  const forced = env.LOOM_GUARD_SQLITE?.trim();
  const alias = forced ? ALIASES[forced] : undefined;
  if (alias) return alias;
  if (forced) return 'sqlite-wasm'; // loadEngine says what is wrong with the value
  return 'unavailable' in loadNodeEngine() ? 'sqlite-wasm' : 'node:sqlite';
}

/** The engine and its SQLite, as a cache key names them: the WASM build's package version, node:sqlite's SQLite. */
export function engineIdentity(name: EngineName): string {
  if (name === 'node:sqlite') return `node:sqlite ${process.versions.sqlite ?? process.version}`;
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve('@sqlite.org/sqlite-wasm/package.json'), 'utf8')) as { version?: string };
    return `sqlite-wasm ${pkg.version ?? '?'}`;
  } catch {
    return 'sqlite-wasm ?';
  }
}

/** Every engine this runtime can run, best first. */
export function availableEngines(): EngineName[] {
  return 'unavailable' in loadNodeEngine() ? ['sqlite-wasm'] : ['node:sqlite', 'sqlite-wasm'];
}
