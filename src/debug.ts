/*
 * LOOM_GUARD_DEBUG=1: a line on stderr for each step worth counting in a bug report (and in the
 * tests that prove a pre-commit hides and restores once). Silent otherwise.
 */
export function debugLine(line: string): void {
  if (process.env.LOOM_GUARD_DEBUG) process.stderr.write(`loom-guard: debug: ${line}\n`);
}
