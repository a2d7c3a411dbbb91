// A stand-in `nix` on PATH that answers the questions loom-guard asks (--version, the experimental
// features, nix run) the way a real Nix does with nix-command and flakes on, or off (Debian's
// nix-bin default). It never builds anything: `nix run` fails with Nix's own words when the
// features are off, and with a plain "no network" error when they are on.
import { chmodSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { tempDir } from './repo.mjs';

export function nixStub({ flakes }) {
  const dir = tempDir('loom-guard-nix-stub-');
  const disabled = `echo "error: experimental Nix feature 'nix-command' is disabled; use '--extra-experimental-features nix-command' to override" >&2; exit 1`;
  const script = `#!/bin/sh
# nix (Nix) 2.24 stand-in, flakes ${flakes ? 'on' : 'off'}
features='${flakes ? 'nix-command flakes' : ''}'
if [ "$1" = --extra-experimental-features ]; then features="$features $2"; shift 2; fi
case "$1" in
  --version) echo "nix (Nix) 2.24.9"; exit 0 ;;
esac
case " $features " in
  *" nix-command "*) ;;
  *) ${disabled} ;;
esac
case "$1 $2" in
  "config show") echo "$features" | sed 's/^ *//'; exit 0 ;;
  "show-config "*) echo "experimental-features = $features"; exit 0 ;;
  "run "*)
    case " $features " in
      *" flakes "*) echo "error: unable to download 'https://api.github.com/repos/cargo2nix/cargo2nix': no network (stub)" >&2; exit 1 ;;
      *) echo "error: experimental Nix feature 'flakes' is disabled; use '--extra-experimental-features flakes' to override" >&2; exit 1 ;;
    esac ;;
esac
echo "error: stub nix does not know: $*" >&2
exit 1
`;
  writeFileSync(join(dir, 'nix'), script);
  chmodSync(join(dir, 'nix'), 0o755);
  return { dir, path: (rest = process.env.PATH ?? '') => `${dir}${delimiter}${rest}` };
}
