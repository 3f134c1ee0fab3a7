/** Finds the options table in the README (from its header row to the first line that is not a table row). */
export const README_TABLE = Object.freeze({ header: '| option | default | meaning |' });

/** The README's options table as it is now (undefined when the README has none). */
export function readmeTable(readme: string): string | undefined {
  const lines = readme.split('\n');
  const start = lines.indexOf(README_TABLE.header);
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}

/** The README with its options table replaced by `table`. */
export function replaceReadmeTable(readme: string, table: string): string {
  const current = readmeTable(readme);
  if (current === undefined) throw new Error(`README.md has no options table (a line "${README_TABLE.header}")`);
  return readme.replace(current, table);
}
