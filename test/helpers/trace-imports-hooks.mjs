// Module hooks for trace-imports.mjs (they run on the loader's own thread).
import { appendFileSync } from 'node:fs';

let log = null;

export function initialize(data) {
  log = data?.log ?? null;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (log) appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
