/** Renders rows as an aligned plain-text table; the header is the keys of the first row. */
export function renderTable(rows: Array<Record<string, string>>): string {
  if (rows.length === 0) return '';
  const columns = Object.keys(rows[0] as Record<string, string>);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))].join('\n') + '\n';
}
