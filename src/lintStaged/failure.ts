import type { CheckResult } from '../report.js';

/*
 * What a failed lint-staged run says, in words a person can act on: which task failed and why.
 * Pure: lint-staged's own lines in, a report line out. lint-staged names a failed task and its
 * cause only in its renderer's `[FAILED] <task> [<cause>]` lines (ENOENT when the program does not
 * exist, FAILED for a non-zero exit); its output list carries each failing task's output under a
 * `✖ <task>:` title, and for a task without output a "Task failed to spawn" line that it also
 * prints for a task that started and exited 1, which is left out here.
 */

export interface FailedTask {
  command: string;
  /** `ENOENT`, `EACCES` (could not start), `FAILED` (non-zero exit), `KILLED`/`SIGKILL` (stopped). */
  cause: string;
}

export interface LogEntry {
  level: 'log' | 'warn' | 'error';
  text: string;
}

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (text: string) => text.replace(ANSI, '');

/** `[FAILED] eslint --fix [ENOENT]` → the task and its cause; null for any other renderer line. */
export function parseFailedLine(line: string): FailedTask | null {
  const m = /^\[FAILED\] (.+) \[([A-Za-z0-9_]+)\]\s*$/.exec(plain(line));
  return m ? { command: m[1] as string, cause: m[2] as string } : null;
}

/** Every line of lint-staged's verbose renderer (`[STARTED] …`, `[FAILED] …`). */
export const isRendererLine = (line: string) => /^\[(STARTED|COMPLETED|FAILED|SKIPPED|TITLE|OUTPUT|RETRY|ROLLBACK|PAUSED|PROMPT)\] /.test(plain(line));

/** Each failed task once, in the order lint-staged reported them. */
export function uniqueTasks(tasks: FailedTask[]): FailedTask[] {
  const seen = new Set<string>();
  return tasks.filter((t) => !seen.has(t.command) && seen.add(t.command));
}

/**
 * The tasks' own output, as lint-staged collected it: without its notes about options loom-guard
 * sets on purpose (no backup stash, no hiding), and without its "failed to spawn" line, which
 * `describeTask` replaces with what really happened.
 */
export function taskOutput(entries: LogEntry[]): string {
  const out: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] as LogEntry;
    const text = plain(entry.text).trim();
    if (entry.level === 'warn' && /^⚠ Skipping /.test(text)) continue;
    if (/^✖ Task failed to spawn: /.test(text)) {
      const next = entries[i + 1];
      if (next && /^([A-Z0-9_]+|undefined|)$/.test(plain(next.text).trim())) i++;
      continue;
    }
    if (text) out.push(entry.text.replace(/^\n+/, '').trimEnd());
  }
  return out.join('\n');
}

const program = (command: string) => command.trim().split(/\s+/)[0] ?? command;

/** One line per failed task that printed nothing of its own. */
export function describeTask(task: FailedTask, where: string): string {
  switch (task.cause) {
    case 'ENOENT':
      return `✖ ${task.command}: could not start: ${program(task.command)} was not found (ENOENT) in ${where}node_modules/.bin or on PATH: install it (npm install${where ? ` in ${where.replace(/\/$/, '')}` : ''}) or fix the task`;
    case 'EACCES':
      return `✖ ${task.command}: could not start: ${program(task.command)} is not executable (EACCES)`;
    case 'FAILED':
      return `✖ ${task.command}: exited with an error and printed nothing`;
    case 'KILLED':
    case 'SIGKILL':
    case 'SIGINT':
      return `- ${task.command}: stopped (${task.cause}) when another task failed`;
    default:
      return `✖ ${task.command}: failed (${task.cause})`;
  }
}

/** `"eslint --fix" failed`, `"x" could not start (ENOENT)`, `2 tasks failed: "a", "b"`. */
export function failureSummary(tasks: FailedTask[]): string {
  const real = tasks.filter((t) => !['KILLED', 'SIGKILL', 'SIGINT'].includes(t.cause));
  const shown = real.length ? real : tasks;
  if (!shown.length) return 'a task failed';
  if (shown.length === 1) {
    const [t] = shown as [FailedTask];
    return t.cause === 'FAILED' ? `task "${t.command}" failed` : t.cause.startsWith('E') ? `task "${t.command}" could not start (${t.cause})` : `task "${t.command}" failed (${t.cause})`;
  }
  return `${shown.length} tasks failed: ${shown.map((t) => `"${t.command}"${t.cause === 'FAILED' ? '' : ` (${t.cause})`}`).join(', ')}`;
}

export interface LintStagedFailure {
  output: string;
  failed: FailedTask[];
  /** The config folder the tasks ran in (`web/loom-web/`), '' for the root or several. */
  where: string;
}

/** The report line of a failed run: the task named in the summary, its output or cause below. */
export function failedTasksResult(outcome: LintStagedFailure, what: string, fix: string, durationMs: number): CheckResult {
  const tasks = uniqueTasks(outcome.failed);
  const titled = new Set(tasks.filter((t) => outcome.output.split('\n').some((l) => plain(l).trim() === `✖ ${t.command}:`)).map((t) => t.command));
  const lines = [outcome.output, ...tasks.filter((t) => !titled.has(t.command)).map((t) => describeTask(t, outcome.where))].filter(Boolean);
  return {
    id: 'lint-staged',
    status: 'fail',
    summary: `${what}: ${failureSummary(tasks)}`,
    details: lines.join('\n') || 'lint-staged failed without saying why (run npx lint-staged --debug to see more)',
    fix,
    durationMs,
  };
}
