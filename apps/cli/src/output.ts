/** Writes one line to stdout. */
export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Formats rows as a plain-text table: a header line, then one line per row, columns padded to their
 * widest cell and separated by two spaces (the last column is not padded).
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * Aligns `label: value` pairs, as `flows show` and `run` print them. `undefined`, `null` and empty
 * values print as `-`.
 */
export function formatFields(fields: [label: string, value: string | number | null | undefined][]): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 1;
  return fields
    .map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value === undefined || value === null || value === '' ? '-' : value}`)
    .join('\n');
}

/** A timestamp from the API (ISO 8601) as `YYYY-MM-DD HH:MM:SSZ`; `-` when absent. */
export function formatTime(iso: string | null | undefined): string {
  return iso ? `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')}Z` : '-';
}

/** Milliseconds as `850 ms` or `12.3 s`; `-` when absent. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
