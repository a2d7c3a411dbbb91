import { access, constants, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot, shellWord } from '../invocation.js';
import { pathExists } from '../fsx.js';
import { git, type RepoPaths } from '../git.js';
import { CHAINED_SUFFIX, HOOKS, isOurs, staleShims } from '../install.js';
import { commandExists, run } from '../proc.js';
import { version } from '../version.js';
import { error, ok, warn, type Finding } from './types.js';

/**
 * How to give the hooks a loom-guard again, with commands that work today: this very copy (the one
 * running doctor) recorded by install, or added to the repository from its folder. The npm
 * registry name is not published yet.
 */
function installFix(): string {
  const folder = packageRoot();
  return `loom-guard install (records this loom-guard, ${folder}, in the hooks), or add it to the repository: npm install --save-dev ${shellWord(folder)}, then npx loom-guard install`;
}

/** The loom-guard a shim would start, in the shim's own order, or null. */
async function resolveFromShim(root: string, shim: string): Promise<{ how: string; command: string[] } | null> {
  const local = join(root, 'node_modules/.bin/loom-guard');
  if (await access(local, constants.X_OK).then(() => true, () => false)) return { how: './node_modules/.bin', command: [local] };
  if (await commandExists('loom-guard')) return { how: 'PATH', command: ['loom-guard'] };
  const node = /^recorded_node='(.*)'$/m.exec(shim)?.[1];
  const cli = /^recorded_cli='(.*)'$/m.exec(shim)?.[1];
  if (node && cli && (await pathExists(cli))) return { how: `recorded ${cli}`, command: [node, cli] };
  return null;
}

async function configValue(root: string, scope: '--local' | '--global', key: string): Promise<string | null> {
  const r = await git(root, ['config', scope, '--get', key]);
  return r.exitCode === 0 ? r.stdout.toString('utf8').trim() : null;
}

export async function hookFindings(paths: RepoPaths): Promise<Finding[]> {
  const findings: Finding[] = [];
  const local = await configValue(paths.root, '--local', 'core.hooksPath');
  const global = await configValue(paths.root, '--global', 'core.hooksPath');
  if (local || global) {
    const which = local ? `core.hooksPath=${local} (this repository)` : `core.hooksPath=${global} (global: every repository)`;
    findings.push(ok('hooksPath', `${which}: git looks for hooks in ${paths.hooksDir}`));
  } else {
    findings.push(ok('hooksPath', `hooks live in ${paths.hooksDir}`));
  }
  // Each loom-guard a shim finds is started once for its version, not once per hook.
  const versions = new Map<string, Promise<string | null>>();
  for (const hook of HOOKS) {
    const path = join(paths.hooksDir, hook);
    const content = await readFile(path, 'utf8').catch(() => null);
    const refresher = hook.startsWith('post-');
    if (content === null && refresher) {
      findings.push(warn(hook, `no ${hook} hook in ${paths.hooksDir}: pre-commit's no-op patterns are not refreshed when a checkout, pull or rebase brings a config or a crate`, 'loom-guard install'));
      continue;
    }
    if (content === null) {
      findings.push(error(hook, `no ${hook} hook in ${paths.hooksDir}: the guard is off`, 'loom-guard install'));
      continue;
    }
    if (!isOurs(content)) {
      findings.push(
        error(hook, `${path} was not written by loom-guard: loom-guard does not run`, 'loom-guard install (keeps that hook and runs it first)'),
      );
      continue;
    }
    const mode = (await stat(path)).mode;
    if (!(mode & 0o111)) {
      findings.push(error(hook, `${path} is not executable: git skips it`, `chmod +x ${path}`));
      continue;
    }
    const chained = await pathExists(path + CHAINED_SUFFIX);
    const resolved = await resolveFromShim(paths.root, content);
    if (!resolved) {
      findings.push(error(hook, `${hook} cannot find loom-guard (node_modules/.bin, PATH, recorded path): every commit fails`, installFix()));
      continue;
    }
    const [command, ...args] = resolved.command as [string, ...string[]];
    const key = resolved.command.join('\0');
    if (!versions.has(key)) {
      versions.set(
        key,
        run(command, [...args, '--version'], { cwd: paths.root }).then(
          (v) => (v.exitCode === 0 ? v.stdout.toString('utf8').trim() : null),
          () => null,
        ),
      );
    }
    const found = await versions.get(key)!;
    const chain = chained ? `; runs your previous hook (${hook}${CHAINED_SUFFIX}) first` : '';
    if (!found) {
      findings.push(error(hook, `${hook} finds loom-guard through ${resolved.how} but it does not start`, 'npm install (or loom-guard install again)'));
    } else if (found !== version()) {
      findings.push(warn(hook, `${hook} installed, runs loom-guard ${found} (through ${resolved.how}), this is ${version()}${chain}`, 'loom-guard install'));
    } else {
      findings.push(ok(hook, `${hook} installed, runs loom-guard ${found} through ${resolved.how}${chain}`));
    }
  }
  // A shim whose patterns are not what the repository says now may let a relevant commit through.
  const stale = await staleShims(paths.root, paths.hooksDir).catch(() => []);
  for (const { hook } of stale) {
    findings.push(
      warn(
        `${hook} patterns`,
        `${hook}'s no-op patterns are stale: a config, lint-staged config or Cargo.toml changed since they were written, or cargo's dep-info now shows other files read outside the crate folders, and a commit touching only the new paths would skip its checks`,
        'loom-guard refresh-shim',
      ),
    );
  }
  return findings;
}
