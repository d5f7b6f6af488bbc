/** A plain-text table with a header rule; numeric columns are right-aligned. Cells are capped at 72 characters. */
export function renderTable(header: string[], rows: string[][], rightAlign: boolean[]): string {
  const clip = (cell: string): string => (cell.length > 72 ? `${cell.slice(0, 71)}…` : cell);
  const all = [header, ...rows.map((row) => row.map(clip))];
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  const line = (row: string[]): string =>
    row.map((cell, column) => (rightAlign[column] ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...all.slice(1).map(line), rule].join('\n');
}
