import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../proc.js';
import { CHECK_IDS } from '../checkIds.js';
import { didYouMean } from '../didYouMean.js';
import { parseSkip } from '../skip.js';
import { error, ok, warn, type Finding } from './types.js';

/** Parses "git version 2.39.5" / "v20.17.0" into comparable numbers. */
export function parseVersion(text: string): number[] | null {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

export function atLeast(version: number[], min: number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const a = version[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

async function versionOf(command: string, args: string[], cwd: string): Promise<string | null> {
  try {
    const r = await run(command, args, { cwd });
    return r.exitCode === 0 ? r.stdout.toString('utf8').trim().split('\n')[0] ?? '' : null;
  } catch {
    return null;
  }
}

export async function gitAndNode(cwd: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const gitVersion = await versionOf('git', ['--version'], cwd);
  const gv = gitVersion ? parseVersion(gitVersion) : null;
  if (!gv) findings.push(error('git', 'git not found', 'install git >= 2.31 and put it on PATH'));
  else if (!atLeast(gv, [2, 31])) findings.push(error('git', `${gitVersion}: loom-guard needs git >= 2.31`, 'upgrade git'));
  else findings.push(ok('git', gitVersion as string));
  const nv = parseVersion(process.version) ?? [0];
  if (!atLeast(nv, [20, 17])) findings.push(error('node', `Node ${process.version}: loom-guard needs >= 20.17`, 'upgrade Node.js'));
  else findings.push(ok('node', `Node ${process.version}`));
  return findings;
}

export function skipVariables(env: NodeJS.ProcessEnv = process.env): Finding[] {
  const request = parseSkip(env);
  if (request.all) {
    return [error('skip', `${request.source} is exported in this shell: your hooks are off`, `unset ${request.source?.split('=')[0]}`)];
  }
  if (request.ids.length || request.unknown.length) {
    const unknown = request.unknown.length ? `; unknown ids ${request.unknown.map((id) => `${id}${didYouMean(id, CHECK_IDS)}`).join(', ')}` : '';
    return [
      warn('skip', `${request.source} is exported in this shell: ${request.ids.join(', ') || 'nothing'} skipped on every commit${unknown}`, 'unset LOOM_GUARD_SKIP'),
    ];
  }
  return [ok('skip', 'no skip variable set')];
}

/** cargo, rustfmt, clippy, and the toolchain the repository pins. */
export async function rustToolchain(root: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const cargo = await versionOf('cargo', ['--version'], root);
  if (!cargo) {
    findings.push(error('cargo', 'cargo not found: fmt, clippy and build cannot run', 'install Rust (rustup) or enter the dev shell (nix develop)'));
    return findings;
  }
  findings.push(ok('cargo', cargo));
  const fmt = await versionOf('cargo', ['fmt', '--version'], root);
  findings.push(fmt ? ok('rustfmt', fmt) : error('rustfmt', 'rustfmt not found: the fmt check cannot run', 'rustup component add rustfmt'));
  const clippy = await versionOf('cargo', ['clippy', '--version'], root);
  findings.push(clippy ? ok('clippy', clippy) : error('clippy', 'clippy not found: the clippy check cannot run', 'rustup component add clippy'));
  for (const name of ['rust-toolchain.toml', 'rust-toolchain']) {
    const text = await readFile(join(root, name), 'utf8').catch(() => null);
    if (text === null) continue;
    const channel = /channel\s*=\s*"([^"]+)"/.exec(text)?.[1] ?? text.trim().split('\n')[0] ?? '';
    const rustc = await versionOf('rustc', ['--version'], root);
    const pinned = parseVersion(channel);
    const have = rustc ? parseVersion(rustc) : null;
    if (pinned && have && (pinned[0] !== have[0] || pinned[1] !== have[1])) {
      findings.push(warn('toolchain', `${name} pins ${channel}, rustc here is ${rustc}`, `rustup toolchain install ${channel} (or use the dev shell)`));
    } else {
      findings.push(ok('toolchain', `${name} pins ${channel}${rustc ? `; ${rustc}` : ''}`));
    }
    return findings;
  }
  findings.push(ok('toolchain', 'no rust-toolchain file: the default toolchain is used'));
  return findings;
}

export async function devFastProfile(root: string, profile: string): Promise<Finding[]> {
  const text = await readFile(join(root, 'Cargo.toml'), 'utf8').catch(() => null);
  if (text === null) return [warn('profile', 'no Cargo.toml at the repository root', 'run loom-guard from the workspace root')];
  const { parse } = await import('smol-toml');
  let manifest: Record<string, unknown>;
  try {
    manifest = parse(text) as Record<string, unknown>;
  } catch (e) {
    return [error('profile', `Cargo.toml: not valid TOML (${(e as Error).message.split('\n')[0]})`, 'fix Cargo.toml')];
  }
  const profiles = (manifest.profile ?? {}) as Record<string, unknown>;
  if (profile in profiles || profile === 'dev' || profile === 'release') return [ok('profile', `[profile.${profile}] is defined`)];
  return [
    warn(
      'profile',
      `Cargo.toml has no [profile.${profile}]: the hook builds with the plain dev profile`,
      `add [profile.${profile}] with inherits = "dev", debug = 0, codegen-units = 512`,
    ),
  ];
}
