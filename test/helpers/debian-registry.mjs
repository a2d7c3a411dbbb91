// Real third-party crates without crates.io: Debian's librust-*-dev packages unpack a cargo
// directory source at /usr/share/cargo/registry. A private CARGO_HOME (outside every repository)
// points crates.io there; nothing is fetched.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './repo.mjs';

export const DEBIAN_REGISTRY = '/usr/share/cargo/registry';

export const hasDebianRegistry = () => existsSync(DEBIAN_REGISTRY);

/** A CARGO_HOME whose config.toml replaces crates.io with the Debian directory source. */
export function debianCargoHome(dir = tempDir('loom-guard-cargo-home-')) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "${DEBIAN_REGISTRY}"\n\n[net]\noffline = true\n`,
  );
  return dir;
}
