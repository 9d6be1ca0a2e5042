// A chart as drawn, as SVG: the same pixel positions chart.js computed for its canvas (plot area,
// ticks, every drawn point, the markers), written as vector paths so it scales in papers and slides.
import type { Chart } from 'chart.js';

export interface SvgMarker {
  x: number;
  label: string;
  color: string;
  dashed: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = (v: number) => (Math.round(v * 100) / 100).toString();

export function chartToSvg(chart: Chart<'line', { x: number; y: number }[]>, title: string, markers: SvgMarker[], colors: { bg: string; fg: string; grid: string }): string {
  const { width, height, chartArea: area } = chart;
  const xs = chart.scales.x!;
  const ys = chart.scales.y!;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<rect width="100%" height="100%" fill="${esc(colors.bg)}"/>`);
  // Grid lines and tick labels.
  for (const t of xs.ticks) {
    const px = xs.getPixelForValue(t.value);
    out.push(`<line x1="${n(px)}" y1="${n(area.top)}" x2="${n(px)}" y2="${n(area.bottom)}" stroke="${esc(colors.grid)}"/>`);
    out.push(`<text x="${n(px)}" y="${n(area.bottom + 14)}" text-anchor="middle" fill="${esc(colors.fg)}">${esc(String(t.label ?? t.value))}</text>`);
  }
  for (const t of ys.ticks) {
    const py = ys.getPixelForValue(t.value);
    out.push(`<line x1="${n(area.left)}" y1="${n(py)}" x2="${n(area.right)}" y2="${n(py)}" stroke="${esc(colors.grid)}"/>`);
    out.push(`<text x="${n(area.left - 4)}" y="${n(py + 4)}" text-anchor="end" fill="${esc(colors.fg)}">${esc(String(t.label ?? t.value))}</text>`);
  }
  out.push(`<rect x="${n(area.left)}" y="${n(area.top)}" width="${n(area.right - area.left)}" height="${n(area.bottom - area.top)}" fill="none" stroke="${esc(colors.fg)}" stroke-width="0.5"/>`);
  const xTitle = (xs.options as { title?: { text?: string } }).title?.text;
  if (xTitle) out.push(`<text x="${n((area.left + area.right) / 2)}" y="${n(area.bottom + 30)}" text-anchor="middle" fill="${esc(colors.fg)}">${esc(xTitle)}</text>`);
  // Series, clipped to the plot area like the canvas.
  out.push(`<clipPath id="plot"><rect x="${n(area.left)}" y="${n(area.top)}" width="${n(area.right - area.left)}" height="${n(area.bottom - area.top)}"/></clipPath>`);
  const legend: { label: string; color: string }[] = [];
  chart.data.datasets.forEach((ds, i) => {
    const meta = chart.getDatasetMeta(i);
    if (meta.hidden) return;
    const color = String(ds.borderColor ?? colors.fg);
    legend.push({ label: String(ds.label ?? ''), color });
    const pts = meta.data.map((p) => [p.x, p.y] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (!pts.length) return;
    const stepped = Boolean((ds as { stepped?: unknown }).stepped);
    let d = `M${n(pts[0]![0])} ${n(pts[0]![1])}`;
    for (let k = 1; k < pts.length; k++) d += stepped ? `H${n(pts[k]![0])}V${n(pts[k]![1])}` : `L${n(pts[k]![0])} ${n(pts[k]![1])}`;
    out.push(`<path class="series" data-label="${esc(String(ds.label ?? ''))}" data-points="${pts.length}" d="${d}" fill="none" stroke="${esc(color)}" stroke-width="1.5" clip-path="url(#plot)"/>`);
  });
  for (const m of markers) {
    const px = xs.getPixelForValue(m.x);
    out.push(`<line class="marker" x1="${n(px)}" y1="${n(area.top)}" x2="${n(px)}" y2="${n(area.bottom)}" stroke="${esc(m.color)}" stroke-width="1.5"${m.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${n(px + 3)}" y="${n(area.top + 11)}" fill="${esc(m.color)}">${esc(m.label)}</text>`);
  }
  let lx = area.left;
  for (const l of legend) {
    out.push(`<rect x="${n(lx)}" y="${n(height - 12)}" width="12" height="3" fill="${esc(l.color)}"/><text x="${n(lx + 16)}" y="${n(height - 8)}" fill="${esc(colors.fg)}">${esc(l.label)}</text>`);
    lx += 24 + l.label.length * 6.5;
  }
  out.push('</svg>');
  return out.join('\n');
}
