/*
 * The header `loom-guard migrations new` writes into a new file. A file that still holds only this
 * header is a migration not written yet, registered or not; other comments alone are a deliberate
 * placeholder once the registry embeds the file (src/checks/migrations.ts).
 */

export const TEMPLATE_NOTES = {
  loom: '-- Runs at every server start-up: keep it safe to replay (CREATE … IF NOT EXISTS, INSERT OR IGNORE).',
  once: '-- Applied once, in version order; once it is on the protected ref, leave it as it is.',
} as const;

export function templateHeader(file: string, name: string, kind: 'loom' | 'once' | 'revert'): string {
  if (kind === 'revert') return `-- ${file}: revert ${name}\n\n`;
  return `-- ${file}: ${name}\n${TEMPLATE_NOTES[kind]}\n\n`;
}

/** Whether `content` is nothing but the header `migrations new` wrote for `file`. */
export function isUnwrittenTemplate(file: string, content: string): boolean {
  const lines = content.split('\n').map((l) => l.trimEnd()).filter((l) => l !== '');
  const [first, ...rest] = lines;
  if (!first?.startsWith(`-- ${file}: `)) return false;
  const notes: readonly string[] = Object.values(TEMPLATE_NOTES);
  return rest.every((l) => notes.includes(l));
}
