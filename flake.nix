{
  description = "loom-guard: git hooks that keep a cargo2nix Rust workspace deployable";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
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
    in
    {
      packages = forAllSystems (pkgs: {
        default = pkgs.buildNpmPackage {
          pname = "loom-guard";
          version = (builtins.fromJSON (builtins.readFile ./package.json)).version;
          src = ./.;
          nodejs = pkgs.nodejs_20;
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
            pkgs.nodejs_20
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
