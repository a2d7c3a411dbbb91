{
  description = "loom-guard: git hooks that keep a cargo2nix Rust workspace deployable";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      inherit (nixpkgs) lib;
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # importNpmLock fetches each package from its `resolved` URL, checked against its `integrity`.
      # npm leaves registry URLs out of the lock when omit-lockfile-registry-resolved is set, so a
      # registry package without one gets its npmjs.org tarball URL back here.
      lock = builtins.fromJSON (builtins.readFile ./package-lock.json);
      tarballUrl = path: module:
        let
          name = module.name or (builtins.elemAt (builtins.match "(.*node_modules/)?((@[^/]+/)?[^/]+)" path) 1);
          base = builtins.elemAt (builtins.match "(@[^/]+/)?([^/]+)" name) 1;
        in
        "https://registry.npmjs.org/${name}/-/${base}-${module.version}.tgz";
      packageLock = lock // {
        packages = builtins.mapAttrs
          (path: module:
            if path == "" || module ? resolved || (module.link or false) || (module.inBundle or false) || !(module ? version)
            then module
            else module // { resolved = tarballUrl path module; })
          lock.packages;
      };
      # Only what the package is built from: a README or test edit does not rebuild it.
      packageFiles = lib.fileset.unions [ ./package.json ./package-lock.json ./tsconfig.json ./src ./hooks ./migrations ];
      packageSource = lib.fileset.toSource { root = ./.; fileset = packageFiles; };
      # The tests and their fixtures on top, for `nix flake check`.
      testSource = lib.fileset.toSource { root = ./.; fileset = lib.fileset.unions [ packageFiles ./test ]; };

      loomGuard = pkgs: extra: pkgs.buildNpmPackage ({
        pname = "loom-guard";
        version = (builtins.fromJSON (builtins.readFile ./package.json)).version;
        src = packageSource;
        # Node 22: node:sqlite replays migrations natively (the WASM build is the fallback).
        nodejs = pkgs.nodejs_22;
        # Every dependency is fetched by the integrity hash package-lock.json already records:
        # no npmDepsHash to refresh when the lock changes. Nothing compiles (SQLite is WASM).
        npmDeps = pkgs.importNpmLock { npmRoot = ./.; inherit packageLock; };
        npmConfigHook = pkgs.importNpmLock.npmConfigHook;
        npmBuildScript = "build";
        meta = {
          description = "Git hooks and repository guard for cargo2nix Rust workspaces";
          mainProgram = "loom-guard";
          license = pkgs.lib.licenses.mit;
        };
      } // extra);
    in
    {
      packages = forAllSystems (pkgs: { default = loomGuard pkgs { }; });

      # `nix flake check` runs the test suite: real git and cargo on generated workspaces, offline
      # (the tests that need the npm registry or nix-instantiate skip themselves, and say so).
      checks = forAllSystems (pkgs: {
        default = loomGuard pkgs {
          pname = "loom-guard-tests";
          src = testSource;
          doCheck = true;
          nativeCheckInputs = [ pkgs.git pkgs.cargo pkgs.rustc pkgs.rustfmt pkgs.clippy ];
          checkPhase = ''
            runHook preCheck
            export HOME=$TMPDIR LOOM_GUARD_TEST_OFFLINE=1
            node test/run.mjs
            runHook postCheck
          '';
          installPhase = "touch $out";
        };
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/loom-guard";
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.nodejs_22
            pkgs.cargo
            pkgs.rustc
            pkgs.rustfmt
            pkgs.clippy
            pkgs.git
          ];
          shellHook = ''
            if [ -d .git ] || git rev-parse --git-dir >/dev/null 2>&1; then
              if [ -x ./node_modules/.bin/loom-guard ]; then
                ./node_modules/.bin/loom-guard install >/dev/null && echo "loom-guard: hooks installed"
              elif command -v loom-guard >/dev/null 2>&1; then
                loom-guard install >/dev/null && echo "loom-guard: hooks installed"
              fi
            fi
          '';
        };
      });
    };
}
