/** A generated table in the README, found by its header row and ending at the first line that is not a table row. */
export const README_TABLE = Object.freeze({ header: '| option | default | meaning |' });

/** The README's table that starts with `header` as it is now (undefined when the README has none). */
export function readmeTable(readme: string, header: string = README_TABLE.header): string | undefined {
  const lines = readme.split('\n');
  const start = lines.indexOf(header);
  if (start < 0) return undefined;
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  return lines.slice(start, end).join('\n');
}

/** The README with the table that starts with `header` replaced by `table`. */
export function replaceReadmeTable(readme: string, table: string, header: string = README_TABLE.header): string {
  const current = readmeTable(readme, header);
  if (current === undefined) throw new Error(`README.md has no table starting with the line "${header}"`);
  return readme.replace(current, table);
}
