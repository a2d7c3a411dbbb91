// Real third-party crates without crates.io: Debian's librust-*-dev packages unpack a cargo
// directory source at /usr/share/cargo/registry. A private CARGO_HOME (outside every repository)
// points crates.io there; nothing is fetched. No imports with side effects: bench/ uses it too.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DEBIAN_REGISTRY = '/usr/share/cargo/registry';

/** The crates the tests build (test/push-warm: a proc-macro and build scripts). */
export const TEST_CRATES = ['serde', 'serde_derive', 'libc'];

/** Makes `dir` a CARGO_HOME whose config.toml replaces crates.io with the Debian directory source. */
export function debianCargoHome(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.toml'),
    `[source.crates-io]\nreplace-with = "debian"\n\n[source.debian]\ndirectory = "${DEBIAN_REGISTRY}"\n\n[net]\noffline = true\n`,
  );
  return dir;
}

/** The Debian package that unpacks `crate` into the registry (serde_json -> librust-serde-json-dev). */
const debianPackage = (crate) => `librust-${crate.replace(/_/g, '-')}-dev`;

/** Those of `crates` the registry does not hold (a folder `<name>-<version>` each). */
function missingDebianCrates(crates) {
  const present = new Set(existsSync(DEBIAN_REGISTRY) ? readdirSync(DEBIAN_REGISTRY).map((d) => d.replace(/-\d[^-]*$/, '')) : []);
  return crates.filter((c) => !present.has(c));
}

/** One line saying what to install, or null when the registry holds every crate. */
export function debianRegistryAdvice(crates) {
  const missing = missingDebianCrates(crates);
  if (!missing.length) return null;
  return `${missing.join(', ')} not in ${DEBIAN_REGISTRY} (sudo apt-get install ${missing.map(debianPackage).join(' ')})`;
}

// `node test/helpers/debian-registry.mjs`: the packages TEST_CRATES still need, one a line (.ci/run installs them).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const crate of missingDebianCrates(TEST_CRATES)) console.log(debianPackage(crate));
}
