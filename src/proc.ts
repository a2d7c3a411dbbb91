import { spawn, type SpawnOptions } from 'node:child_process';

/*
 * The one way loom-guard runs a process. Built on node:child_process rather than execa: importing
 * execa costs ~80 ms, more than a whole no-op hook may spend. Arguments are always an array and
 * never go through a shell, so no file name can run anything.
 */

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Stream output to our stderr as it arrives (progress), while still capturing it. */
  echo?: boolean;
}

export interface RunResult {
  command: string;
  args: string[];
  exitCode: number;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** stdout and stderr interleaved in arrival order, for reporting a failure. */
  all: string;
  durationMs: number;
}

const running = new Set<import('node:child_process').ChildProcess>();

/** Every child still running, so a signal handler can stop them before restoring the tree. */
export function runningChildren(): ReadonlySet<import('node:child_process').ChildProcess> {
  return running;
}

export function run(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const spawnOptions: SpawnOptions = {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    };
    const child = spawn(command, args, spawnOptions);
    running.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const all: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => {
      out.push(chunk);
      all.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err.push(chunk);
      all.push(chunk);
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      running.delete(child);
      reject(error);
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({
        command,
        args,
        exitCode: code ?? (signal ? 128 : 1),
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        all: Buffer.concat(all).toString('utf8'),
        durationMs: performance.now() - started,
      });
    });
    if (options.input !== undefined) {
      child.stdin?.on('error', () => {
        /* the child may exit before reading everything; its exit code tells the story */
      });
      child.stdin?.end(options.input);
    }
  });
}

/** True when `command` can be started (it is on PATH or is a path to an executable). */
export async function commandExists(command: string): Promise<boolean> {
  const { access, constants } = await import('node:fs/promises');
  const { delimiter, join, isAbsolute } = await import('node:path');
  if (command.includes('/')) {
    return access(isAbsolute(command) ? command : join(process.cwd(), command), constants.X_OK).then(
      () => true,
      () => false,
    );
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const ok = await access(join(dir, command), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return true;
  }
  return false;
}
