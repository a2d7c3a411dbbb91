import type { ReplayFunction } from './replay.js';

/*
 * Config `replayFunctions`: the SQL functions the application registers on its own connection
 * (sqlx's `create_function`, rusqlite's `create_scalar_function`), which a bare SQLite lacks.
 * Either `{ "normalize": 1, "concat_all": "any" }` (name to argument count) or `["normalize"]`
 * (any count). Pure: returns the list, or the problems, each a phrase the config error completes.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** SQLite's default SQLITE_MAX_FUNCTION_ARG. */
const MAX_ARGS = 127;

export const REPLAY_FUNCTIONS_SHAPE = `an object of SQL function name to argument count (0 to ${MAX_ARGS}, or "any"), e.g. {"normalize": 1}, or an array of names`;

export function parseReplayFunctions(value: unknown): { functions: ReplayFunction[] } | { problems: string[] } {
  let entries: Array<[string, unknown]>;
  if (Array.isArray(value)) entries = value.map((name) => [name, 'any']);
  else if (typeof value === 'object' && value !== null) entries = Object.entries(value);
  else return { problems: [`must be ${REPLAY_FUNCTIONS_SHAPE}, got ${JSON.stringify(value)}`] };

  const problems: string[] = [];
  const functions: ReplayFunction[] = [];
  const seen = new Set<string>();
  for (const [name, count] of entries) {
    if (typeof name !== 'string' || !NAME.test(name)) {
      problems.push(`${JSON.stringify(name)} is not an SQL function name (letters, digits and _, not starting with a digit)`);
      continue;
    }
    // SQLite matches function names without regard to case: two spellings would be one function.
    if (seen.has(name.toLowerCase())) {
      problems.push(`"${name}" is listed twice`);
      continue;
    }
    seen.add(name.toLowerCase());
    if (count === 'any') functions.push({ name, args: null });
    else if (Number.isInteger(count) && (count as number) >= 0 && (count as number) <= MAX_ARGS) functions.push({ name, args: count as number });
    else problems.push(`"${name}": the argument count must be 0 to ${MAX_ARGS} or "any", got ${JSON.stringify(count)}`);
  }
  return problems.length ? { problems } : { functions };
}
