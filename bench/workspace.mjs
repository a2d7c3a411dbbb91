// A Loom-sized workspace for the benchmark: path dependencies only, layered like Loom (each
// loom-crate-NN also depends on loom-crate-(NN-5)), and crates with enough code that compiling one
// is real work, so the hook's fixed cost is weighed against a realistic cargo floor.
import { join } from 'node:path';
import { ROOT, run, tempDir } from './lib.mjs';

const scaffold = await import(join(ROOT, 'dist/scaffold.js'));

/** rustfmt-clean, clippy-clean bulk: structs with derives, trait impls, generic functions, tests. */
export function bulkModule(seed, items = 40) {
  const parts = [];
  for (let i = 0; i < items; i++) {
    parts.push(`#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Item${i} {
    pub id: u64,
    pub name: String,
    pub tags: Vec<String>,
}

impl Item${i} {
    pub fn new(id: u64, name: &str) -> Self {
        Self {
            id,
            name: name.to_string(),
            tags: vec![format!("seed-${seed}"), format!("item-${i}")],
        }
    }

    pub fn score(&self) -> u64 {
        self.tags
            .iter()
            .map(|t| t.len() as u64)
            .fold(self.id, |acc, n| acc.wrapping_mul(31).wrapping_add(n))
    }
}

pub fn total_${i}<T: Into<u64> + Copy>(values: &[T]) -> u64 {
    values.iter().map(|v| (*v).into()).sum::<u64>() + ${i + 1}
}
`);
  }
  parts.push(`#[cfg(test)]
mod tests {
    #[test]
    fn scores() {
        assert!(super::Item0::new(1, "a").score() > 0);
    }
}
`);
  return parts.join('\n');
}

export async function loomSizedRepo(crates = 50, { items = 40 } = {}) {
  const dir = join(tempDir(), 'loom');
  run('git', ['init', '-q', '-b', 'main', dir]);
  const migrations = await scaffold.readMigrations(join(ROOT, 'migrations'));
  const spec = scaffold.loomWorkspace(crates, migrations);
  spec.crates.forEach((crate, i) => {
    const n = /loom-crate-(\d+)/.exec(crate.name)?.[1];
    if (n && Number(n) > 5) crate.deps.push(`loom-crate-${String(Number(n) - 5).padStart(2, '0')}`);
    crate.extra = bulkModule(i, items);
  });
  await scaffold.writeFiles(dir, scaffold.workspaceFiles(spec));
  run('git', ['add', '-A'], { cwd: dir });
  run('git', ['commit', '-q', '--no-verify', '-m', 'initial'], { cwd: dir });
  return { dir, spec };
}
