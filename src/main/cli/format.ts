// Plain-text tables and number formatting for terminal output.
export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  return cells.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ')).join('\n');
}

export const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
export const num = (x: number | null | undefined, digits = 4) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits));

export function human(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
