// A workspace whose crate `a` reads files in crate `b`'s folder without depending on `b`:
// `include_str!("../../b/data.txt")`, `include!("../../b/expr.in")`, and a build script with
// `cargo:rerun-if-changed=../b/schema.sql`. Crate `c` reads nothing of either. The bad versions of
// each file break `a` only: at compile time (pre-commit) or in `a`'s test (pre-push).
import { Repo } from './repo.mjs';

export const FILES = {
  'Cargo.toml': '[workspace]\nmembers = ["crates/a", "crates/b", "crates/c"]\nresolver = "2"\n\n[profile.dev-fast]\ninherits = "dev"\ndebug = 0\n',
  '.gitignore': '/target\n',
  'crates/a/Cargo.toml': '[package]\nname = "a"\nversion = "0.1.0"\nedition = "2021"\n',
  'crates/a/src/lib.rs':
    'pub const DATA: &str = include_str!("../../b/data.txt");\nconst _: () = assert!(DATA.len() < 32, "data.txt is too long");\n\npub fn expr() -> u32 {\n    include!("../../b/expr.in")\n}\n',
  'crates/a/build.rs':
    'fn main() {\n    println!("cargo:rerun-if-changed=../b/schema.sql");\n    let schema = std::fs::read_to_string("../b/schema.sql").unwrap();\n    assert!(!schema.contains("DROP"), "schema.sql drops a table");\n}\n',
  'crates/a/tests/reads.rs': '#[test]\nfn data() {\n    assert!(a::DATA.starts_with("hello"));\n}\n\n#[test]\nfn expr() {\n    assert_eq!(a::expr(), 2);\n}\n',
  'crates/b/Cargo.toml': '[package]\nname = "b"\nversion = "0.1.0"\nedition = "2021"\n',
  'crates/b/src/lib.rs': 'pub fn b() -> u32 {\n    1\n}\n',
  'crates/b/data.txt': 'hello\n',
  'crates/b/expr.in': '1 + 1\n',
  'crates/b/schema.sql': 'CREATE TABLE t (x INTEGER);\n',
  'crates/c/Cargo.toml': '[package]\nname = "c"\nversion = "0.1.0"\nedition = "2021"\n',
  'crates/c/src/lib.rs': 'pub fn c() -> u32 {\n    3\n}\n',
};

/** Changes that break `a` when it compiles (pre-commit) and changes that only fail `a`'s test (pre-push). */
export const BAD_COMPILE = {
  'crates/b/data.txt': 'hello, and a line far too long for the assertion\n',
  'crates/b/expr.in': '1 +\n',
  'crates/b/schema.sql': 'DROP TABLE t;\n',
};
export const BAD_TEST = {
  'crates/b/data.txt': 'goodbye\n',
  'crates/b/expr.in': '1 + 2\n',
  'crates/b/schema.sql': 'DROP TABLE t;\n',
};

export function crossRepo() {
  const repo = Repo.init();
  repo.writeAll(new Map(Object.entries(FILES)));
  repo.commitNoVerify('workspace');
  return repo;
}
