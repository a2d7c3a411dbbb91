import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { GuardError } from './errors.js';
import { run, type RunResult } from './proc.js';

/** git's id for the empty tree: what an initial commit is compared against. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/**
 * The environment loom-guard's own git calls use instead of process.env, while code running in this
 * process (lint-staged, stopped by a signal but not yet gone) still has process.env pointing at its
 * scratch index: set by lintStaged/api.ts on a signal only.
 */
let ownEnv: NodeJS.ProcessEnv | null = null;
export function useOwnGitEnv(env: NodeJS.ProcessEnv): void {
  ownEnv = env;
}

export async function git(cwd: string, args: string[], input?: string | Buffer, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  const chosen = env ?? ownEnv;
  try {
    return await run('git', args, { cwd, input, ...(chosen ? { env: chosen } : {}) });
  } catch (error) {
    throw new GuardError(`git could not be started (${(error as Error).message}): install git and put it on PATH`);
  }
}

/** Runs git and returns stdout as text; a non-zero exit is a GuardError with git's own message. */
export async function gitText(cwd: string, args: string[], input?: string | Buffer): Promise<string> {
  const result = await git(cwd, args, input);
  if (result.exitCode !== 0) {
    const message = result.stderr.toString('utf8').trim().split('\n')[0] ?? '';
    throw new GuardError(`git ${args[0]} failed: ${message}`);
  }
  return result.stdout.toString('utf8');
}

export interface RepoPaths {
  /** Top of the working tree. */
  root: string;
  /** This worktree's git dir (per-worktree state lives here). */
  gitDir: string;
  /** The git dir shared by all worktrees. */
  commonDir: string;
  /** Where git looks for hooks: honours core.hooksPath and linked worktrees. */
  hooksDir: string;
}

export async function repoPaths(cwd: string): Promise<RepoPaths> {
  const result = await git(cwd, [
    'rev-parse',
    '--path-format=absolute',
    '--show-toplevel',
    '--git-dir',
    '--git-common-dir',
    '--git-path',
    'hooks',
  ]);
  if (result.exitCode !== 0) {
    throw new GuardError(`${cwd} is not inside a git working tree: run loom-guard from your repository (or git init first)`);
  }
  const [root, gitDir, commonDir, hooks] = result.stdout.toString('utf8').trimEnd().split('\n');
  if (!root || !gitDir || !commonDir || !hooks) {
    throw new GuardError(`${cwd} is not inside a git working tree: run loom-guard from your repository`);
  }
  return { root, gitDir, commonDir, hooksDir: isAbsolute(hooks) ? hooks : resolve(root, hooks) };
}

export async function resolveCommit(cwd: string, rev: string): Promise<string | null> {
  const result = await git(cwd, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : null;
}

/** HEAD's commit, or null before the first commit. */
export function headCommit(cwd: string): Promise<string | null> {
  return resolveCommit(cwd, 'HEAD');
}

export type ChangeStatus = 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';

export interface Change {
  status: ChangeStatus;
  path: string;
  /** For renames and copies: where it came from. */
  oldPath?: string;
}

/** Parses `git diff --name-status -z` output (rename and copy entries carry two paths). */
export function parseNameStatusZ(output: string): Change[] {
  const parts = output.split('\0');
  const changes: Change[] = [];
  for (let i = 0; i < parts.length; ) {
    const field = parts[i++];
    if (!field) continue;
    const status = field[0] as ChangeStatus;
    if (status === 'R' || status === 'C') {
      const oldPath = parts[i++] ?? '';
      const path = parts[i++] ?? '';
      changes.push({ status, path, oldPath });
    } else {
      changes.push({ status, path: parts[i++] ?? '' });
    }
  }
  return changes;
}

/** Staged changes against HEAD (against the empty tree before the first commit), with renames. */
export async function getStagedChanges(cwd: string): Promise<Change[]> {
  const base = (await headCommit(cwd)) ?? EMPTY_TREE;
  const out = await gitText(cwd, ['diff', '--cached', '--name-status', '-z', '-M', '--no-ext-diff', '--no-textconv', base, '--']);
  return parseNameStatusZ(out);
}

/** Changes between two commits or trees (`from` null means the empty tree). */
export async function getChangesBetween(cwd: string, from: string | null, to: string): Promise<Change[]> {
  const out = await gitText(cwd, ['diff', '--name-status', '-z', '-M', '--no-ext-diff', '--no-textconv', from ?? EMPTY_TREE, to, '--']);
  return parseNameStatusZ(out);
}

/** Every path in a tree-ish, or in the index when `treeish` is null. */
export async function listFiles(cwd: string, treeish: string | null): Promise<string[]> {
  const args = treeish === null ? ['ls-files', '-z', '--cached'] : ['ls-tree', '-r', '-z', '--name-only', '--full-tree', treeish];
  const out = await gitText(cwd, args);
  return out.split('\0').filter(Boolean);
}

/** Where to read a file from: the index, a commit (or tree), or the working tree. */
export type Source = { kind: 'index' } | { kind: 'commit'; rev: string } | { kind: 'worktree' };

export const INDEX: Source = { kind: 'index' };
export const WORKTREE: Source = { kind: 'worktree' };
export const commitSource = (rev: string): Source => ({ kind: 'commit', rev });

/** From this size on, a blob whose working-tree file has the same id is read from disk (BlobReader). */
const LARGE_FILE = 2 << 20;

/**
 * Reads blobs through one long-lived `git cat-file --batch` process, so reading a hundred files
 * costs one process, not a hundred. Requests are answered in order.
 */
export class BlobReader {
  private child: ChildProcessByStdio<Writable, Readable, Readable> | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private waiting: Array<{ resolve: (value: Buffer | null) => void; reject: (error: Error) => void }> = [];
  private expecting: { size: number; blob: boolean } | null = null;

  constructor(private readonly cwd: string) {}

  async read(source: Source, path: string): Promise<Buffer | null> {
    if (source.kind === 'worktree') {
      return readFile(join(this.cwd, path)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw error;
      });
    }
    const spec = source.kind === 'index' ? `:${path}` : `${source.rev}:${path}`;
    if (!spec.includes('\n')) {
      const size = await stat(join(this.cwd, path)).then((st) => (st.isFile() ? st.size : 0), () => 0);
      if (size >= LARGE_FILE) return (await this.fromWorkingTree(spec, path)) ?? this.request(spec);
    }
    return this.request(spec);
  }

  /**
   * A large blob (a generated Cargo.nix of tens of MB) costs seconds through the pipe on a busy
   * machine: git inflates it, Node gathers it in chunks and joins them. When the working-tree file
   * holds the very same bytes, which is usual for a committed or staged Cargo.nix, it is read from
   * disk instead: its git blob id, computed here over the bytes read, must equal the id git gives
   * for `spec`, so what is returned is the blob whatever happens to the file meanwhile.
   */
  private async fromWorkingTree(spec: string, path: string): Promise<Buffer | null> {
    const [id, bytes] = await Promise.all([
      git(this.cwd, ['rev-parse', '--verify', '--quiet', spec]).then((r) => (r.exitCode === 0 ? r.stdout.toString('utf8').trim() : null)),
      readFile(join(this.cwd, path)).catch(() => null),
    ]);
    if (!id || !bytes) return null;
    const algorithm = id.length === 64 ? 'sha256' : id.length === 40 ? 'sha1' : null;
    if (!algorithm) return null;
    const own = createHash(algorithm).update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    return own === id ? bytes : null;
  }

  async readText(source: Source, path: string): Promise<string | null> {
    const data = await this.read(source, path);
    return data === null ? null : data.toString('utf8');
  }

  private request(spec: string): Promise<Buffer | null> {
    if (spec.includes('\n')) {
      // cat-file --batch is line-based: a path with a newline cannot be asked for this way.
      return this.readOnce(spec);
    }
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${spec}\n`);
    });
  }

  private async readOnce(spec: string): Promise<Buffer | null> {
    const result = await git(this.cwd, ['cat-file', 'blob', spec]);
    return result.exitCode === 0 ? result.stdout : null;
  }

  private start(): ChildProcessByStdio<Writable, Readable, Readable> {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      // A large blob arrives in 64 KiB chunks: joining each one as it comes copies the blob once per
      // chunk (quadratic; seconds for a 32 MB Cargo.nix), so they wait until the blob is whole.
      if (this.expecting && this.buffer.length + this.pendingBytes < this.expecting.size + 1) return;
      this.buffer = this.buffer.length || this.pending.length > 1 ? Buffer.concat([this.buffer, ...this.pending]) : chunk;
      this.pending = [];
      this.pendingBytes = 0;
      this.drain();
    });
    const fail = (error: Error) => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(error);
      this.child = null;
    };
    child.on('error', (error) => fail(new GuardError(`git cat-file could not be started: ${error.message}`)));
    child.on('close', () => {
      if (this.waiting.length) fail(new GuardError('git cat-file --batch ended early'));
    });
    this.child = child;
    return child;
  }

  private drain(): void {
    for (;;) {
      const waiter = this.waiting[0];
      if (!waiter) return;
      if (this.expecting === null) {
        const newline = this.buffer.indexOf(10);
        if (newline < 0) return;
        const header = this.buffer.subarray(0, newline).toString('utf8');
        this.buffer = this.buffer.subarray(newline + 1);
        if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
          this.waiting.shift();
          waiter.resolve(null);
          continue;
        }
        const [, type, size] = header.split(' ');
        this.expecting = { size: Number(size), blob: type === 'blob' };
      }
      const { size, blob } = this.expecting;
      if (this.buffer.length < size + 1) return;
      // A small file is copied out, so it does not keep a whole chunk alive; a large one is nearly all
      // of the buffer joined for it, and a copy would cost as much again (Buffer.from of a view copies
      // byte by byte, so never that).
      const body = size >= 1 << 20 ? this.buffer.subarray(0, size) : Buffer.copyBytesFrom(this.buffer, 0, size);
      this.buffer = this.buffer.subarray(size + 1);
      this.expecting = null;
      this.waiting.shift();
      // A directory or submodule asked for by path is "no file" to the rules.
      waiter.resolve(blob ? body : null);
    }
  }

  close(): void {
    this.child?.stdin.end();
    this.child = null;
  }
}
