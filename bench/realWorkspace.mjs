// A realistic Loom-shaped workspace for `npm run bench -- --real`: 24 members in layers against
// real third-party crates (serde, tokio, hyper, rusqlite, clap, tracing, …) from Debian's
// librust-*-dev packages, a cargo directory source at /usr/share/cargo/registry, set through a
// private CARGO_HOME (outside the repository): nothing is fetched. It has a proc-macro member, a
// build.rs member whose generated code is include!d, and SQL migrations embedded with include_str!.
// Every third-party crate is used (a small function each), so the whole closure (about 135
// crates) compiles, as in the real Loom.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { bulkModule } from './workspace.mjs';
import { run, tempDir } from './lib.mjs';
import { debianCargoHome } from '../test/helpers/debian-registry.mjs';

/**
 * Each third-party crate: its dependency line and one function that uses it (rustfmt- and
 * clippy-clean). Versions are those the Debian registry holds; their whole closure is present
 * (checked with `cargo generate-lockfile --offline`).
 */
export const THIRD_PARTY = {
  serde: ['serde = { version = "1", features = ["derive"] }', '#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, PartialEq)]\npub struct Record {\n    pub id: u64,\n    pub name: String,\n}'],
  serde_json: ['serde_json = "1"', 'pub fn json_len() -> usize {\n    serde_json::json!({ "a": 1 }).to_string().len()\n}'],
  tokio: [
    'tokio = { version = "1", features = ["rt-multi-thread", "macros", "sync", "time", "net", "io-util"] }',
    'pub fn tokio_one() -> u64 {\n    tokio::runtime::Builder::new_current_thread()\n        .build()\n        .map(|rt| rt.block_on(async { 1 }))\n        .unwrap_or(0)\n}',
  ],
  hyper: ['hyper = { version = "0.14", features = ["server", "http1", "tcp"] }', 'pub fn hyper_ok() -> u16 {\n    hyper::StatusCode::OK.as_u16()\n}'],
  rusqlite: ['rusqlite = "0.28"', 'pub fn sqlite_one() -> rusqlite::Result<i64> {\n    let c = rusqlite::Connection::open_in_memory()?;\n    c.query_row("select 1", [], |r| r.get(0))\n}'],
  clap: ['clap = { version = "4", features = ["derive"] }', '#[derive(clap::Parser, Debug)]\npub struct Args {\n    #[arg(long, default_value_t = 1)]\n    pub level: u32,\n}'],
  tracing: ['tracing = "0.1"', 'pub fn trace_it(n: u32) {\n    tracing::info!(n, "traced");\n}'],
  'tracing-subscriber': ['tracing-subscriber = { version = "0.3", features = ["env-filter"] }', 'pub fn filter_ok() -> bool {\n    tracing_subscriber::EnvFilter::try_new("info").is_ok()\n}'],
  anyhow: ['anyhow = "1"', 'pub fn anyhow_ok() -> anyhow::Result<u32> {\n    Ok(1)\n}'],
  thiserror: ['thiserror = "1"', '#[derive(Debug, thiserror::Error)]\npub enum LoomError {\n    #[error("bad value {0}")]\n    Bad(u32),\n}'],
  chrono: ['chrono = "0.4"', 'pub fn year() -> i32 {\n    use chrono::Datelike;\n    chrono::NaiveDate::from_ymd_opt(2020, 1, 1).map_or(0, |d| d.year())\n}'],
  regex: ['regex = "1"', 'pub fn re_ok(s: &str) -> bool {\n    regex::Regex::new("^a+$").map(|r| r.is_match(s)).unwrap_or(false)\n}'],
  uuid: ['uuid = { version = "1", features = ["v4"] }', 'pub fn uuid_len() -> usize {\n    uuid::Uuid::new_v4().to_string().len()\n}'],
  rand: ['rand = "0.8"', 'pub fn roll() -> u32 {\n    use rand::Rng;\n    rand::thread_rng().gen_range(0..10)\n}'],
  sha2: ['sha2 = "0.10"', 'pub fn digest_len(data: &[u8]) -> usize {\n    use sha2::Digest;\n    sha2::Sha256::digest(data).len()\n}'],
  hex: ['hex = "0.4"', 'pub fn hexed(data: &[u8]) -> String {\n    hex::encode(data)\n}'],
  base64: ['base64 = "0.13"', 'pub fn b64(data: &[u8]) -> String {\n    base64::encode(data)\n}'],
  url: ['url = "2"', 'pub fn host(s: &str) -> Option<String> {\n    url::Url::parse(s).ok()?.host_str().map(str::to_string)\n}'],
  futures: ['futures = "0.3"', 'pub fn block() -> u32 {\n    futures::executor::block_on(async { 2 })\n}'],
  bytes: ['bytes = "1"', 'pub fn bytes_len() -> usize {\n    bytes::Bytes::from_static(b"abc").len()\n}'],
  parking_lot: ['parking_lot = "0.12"', 'pub fn locked() -> u32 {\n    *parking_lot::Mutex::new(3).lock()\n}'],
  once_cell: ['once_cell = "1"', 'pub static START: once_cell::sync::Lazy<u32> = once_cell::sync::Lazy::new(|| 4);'],
  itertools: ['itertools = "0.10"', 'pub fn joined(v: &[u32]) -> String {\n    use itertools::Itertools;\n    v.iter().join(",")\n}'],
  log: ['log = "0.4"', 'pub fn log_it(n: u32) {\n    log::info!("logged {n}");\n}'],
  toml: ['toml = "0.5"', 'pub fn toml_ok(s: &str) -> bool {\n    toml::from_str::<toml::Value>(s).is_ok()\n}'],
  flate2: [
    'flate2 = "1"',
    'pub fn gz(data: &[u8]) -> std::io::Result<usize> {\n    use std::io::Write;\n    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());\n    e.write_all(data)?;\n    Ok(e.finish()?.len())\n}',
  ],
  indexmap: ['indexmap = "1"', 'pub fn indexed() -> usize {\n    let mut m = indexmap::IndexMap::new();\n    m.insert(1, 2);\n    m.len()\n}'],
  smallvec: ['smallvec = "1"', 'pub fn small() -> usize {\n    let v: smallvec::SmallVec<[u8; 4]> = smallvec::smallvec![1, 2];\n    v.len()\n}'],
  lru: ['lru = "0.7"', 'pub fn lru_len() -> usize {\n    let mut c = lru::LruCache::new(2);\n    c.put(1, 1);\n    c.len()\n}'],
  'crossbeam-channel': ['crossbeam-channel = "0.5"', 'pub fn chan() -> Option<u32> {\n    let (s, r) = crossbeam_channel::unbounded();\n    s.send(5).ok()?;\n    r.recv().ok()\n}'],
  'async-trait': ['async-trait = "0.1"', '#[async_trait::async_trait]\npub trait Store {\n    async fn get(&self) -> u32;\n}'],
};

/** The 24 members, lowest layer first: name, members it depends on, third-party crates it uses. */
export const MEMBERS = [
  ['loom-macros', [], []], // proc-macro (syn, quote, proc-macro2 come with it)
  ['loom-build-info', [], []], // build.rs, include!(OUT_DIR/…)
  ['loom-common-core', ['loom-macros'], ['serde', 'thiserror', 'uuid', 'chrono', 'anyhow']],
  ['loom-common-config', ['loom-common-core'], ['toml', 'once_cell', 'serde_json']],
  ['loom-common-crypto', ['loom-common-core'], ['sha2', 'hex', 'base64', 'rand']],
  ['loom-common-text', ['loom-common-core'], ['regex', 'itertools', 'smallvec', 'indexmap']],
  ['loom-common-telemetry', ['loom-common-core'], ['tracing', 'tracing-subscriber', 'log']],
  ['loom-db', ['loom-common-core'], ['rusqlite']], // embeds the migrations
  ['loom-sync', ['loom-common-core'], ['parking_lot', 'crossbeam-channel', 'lru']],
  ['loom-codec', ['loom-common-core'], ['flate2', 'bytes']],
  ['loom-net', ['loom-common-config'], ['url', 'futures']],
  ['loom-store', ['loom-db', 'loom-sync'], ['async-trait']],
  ['loom-auth', ['loom-common-crypto', 'loom-db'], []],
  ['loom-search', ['loom-common-text', 'loom-store'], []],
  ['loom-events', ['loom-codec', 'loom-common-telemetry'], []],
  ['loom-runtime', ['loom-net'], ['tokio']],
  ['loom-http', ['loom-runtime'], ['hyper']],
  ['loom-api', ['loom-http', 'loom-auth', 'loom-store'], []],
  ['loom-jobs', ['loom-runtime', 'loom-events'], []],
  ['loom-admin', ['loom-api'], []],
  ['loom-sync-server', ['loom-api', 'loom-jobs'], []],
  ['loom-server', ['loom-api', 'loom-jobs', 'loom-build-info'], ['clap']],
  ['loom-cli', ['loom-api', 'loom-build-info'], ['clap']],
  ['loom-integration', ['loom-server', 'loom-cli', 'loom-search'], []],
];

const ident = (name) => name.replace(/-/g, '_');

const MIGRATIONS = [
  ['001_init.sql', 'CREATE TABLE threads (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n'],
  ['002_messages.sql', 'CREATE TABLE messages (id INTEGER PRIMARY KEY, thread_id INTEGER NOT NULL REFERENCES threads(id), body TEXT NOT NULL);\n'],
  ['003_index.sql', 'CREATE INDEX messages_thread ON messages(thread_id);\n'],
];

/** The files of the workspace: path → content. `items` sizes each member's bulk module. */
export function realWorkspaceFiles({ items = 30 } = {}) {
  const files = {};
  files['Cargo.toml'] = `[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n[profile.dev-fast]\ninherits = "dev"\ndebug = 0\n`;
  files['.gitignore'] = '/target\n/node_modules\n';
  files['README.md'] = '# loom (bench)\n\nA Loom-shaped workspace on real third-party crates.\n';
  files['docs/architecture.md'] = '# Architecture\n\nLayers, lowest first.\n';
  MEMBERS.forEach(([name, deps, third], index) => {
    const dir = `crates/${name}`;
    const lines = [`[package]`, `name = "${name}"`, `version = "0.1.0"`, `edition = "2021"`, ''];
    if (name === 'loom-macros') lines.push('[lib]', 'proc-macro = true', '');
    if (name === 'loom-build-info') lines.push('build = "build.rs"', '');
    lines.push('[dependencies]');
    if (name === 'loom-macros') lines.push('proc-macro2 = "1"', 'quote = "1"', 'syn = { version = "1", features = ["full"] }');
    for (const d of deps) lines.push(`${d} = { path = "../${d}" }`);
    for (const t of third) lines.push(THIRD_PARTY[t][0]);
    files[`${dir}/Cargo.toml`] = `${lines.join('\n')}\n`;
    let lib;
    if (name === 'loom-macros') {
      lib = [
        'use proc_macro::TokenStream;',
        'use quote::quote;',
        '',
        '/// `#[derive(Named)]`: a `NAME` constant with the type\'s name.',
        '#[proc_macro_derive(Named)]',
        'pub fn named(input: TokenStream) -> TokenStream {',
        '    let ast = syn::parse_macro_input!(input as syn::DeriveInput);',
        '    let name = &ast.ident;',
        '    let text = name.to_string();',
        '    quote!(impl #name { pub const NAME: &\'static str = #text; }).into()',
        '}',
        '',
      ].join('\n');
    } else {
      const parts = [];
      if (name === 'loom-build-info') {
        files[`${dir}/build.rs`] =
          'use std::io::Write;\n\nfn main() {\n    println!("cargo:rerun-if-changed=build.rs");\n    let out = std::env::var("OUT_DIR").expect("OUT_DIR");\n    let mut f = std::fs::File::create(std::path::Path::new(&out).join("info.rs")).expect("info.rs");\n    writeln!(f, "pub const BUILD: &str = \\"bench\\";").expect("write");\n}\n';
        parts.push('include!(concat!(env!("OUT_DIR"), "/info.rs"));');
      }
      if (name === 'loom-db') {
        parts.push(`pub const MIGRATIONS: &[(&str, &str)] = &[\n${MIGRATIONS.map(([f]) => `    ("${f}", include_str!("../migrations/${f}")),`).join('\n')}\n];`);
        for (const [f, sql] of MIGRATIONS) files[`${dir}/migrations/${f}`] = sql;
      }
      if (name === 'loom-common-core') {
        parts.push('#[derive(loom_macros::Named, Debug, Default)]\npub struct Thread {\n    pub id: u64,\n}');
      }
      for (const d of deps) parts.push(`pub use ${ident(d)};`);
      for (const t of third) parts.push(THIRD_PARTY[t][1]);
      parts.push(`pub fn layer() -> usize {\n    ${index}\n}`);
      parts.push(bulkModule(index, items));
      lib = `${parts.join('\n\n')}\n`;
    }
    files[`${dir}/src/lib.rs`] = lib;
  });
  return files;
}

/**
 * Writes the workspace into a new git repository, resolves Cargo.lock offline against the Debian
 * source and commits. Returns { dir, env } (env: CARGO_HOME pointing at the Debian source).
 */
export function realWorkspaceRepo({ items = 30, baseEnv = process.env } = {}) {
  const dir = join(tempDir('loom-guard-real-'), 'loom');
  const env = { ...baseEnv, CARGO_HOME: debianCargoHome(join(dir, '..', 'cargo-home')) };
  run('git', ['init', '-q', '-b', 'main', dir]);
  for (const [path, content] of Object.entries(realWorkspaceFiles({ items }))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  run('cargo', ['generate-lockfile', '--offline'], { cwd: dir, env });
  // The generated code is committed as rustfmt leaves it, as a real repository's is.
  run('cargo', ['fmt', '--all'], { cwd: dir, env });
  run('git', ['add', '-A'], { cwd: dir });
  run('git', ['commit', '-q', '--no-verify', '-m', 'a Loom-shaped workspace on real crates'], { cwd: dir, env });
  return { dir, env };
}
