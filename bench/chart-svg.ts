/**
 * A horizontal bar chart as a standalone SVG string, with no dependency: a
 * title, a few caption lines, then one panel per measurement (its own scale,
 * since ops/s and milliseconds do not share an axis), a labelled bar per
 * target with its value written beside it. Text widths are estimated, not
 * measured (no font metrics without a renderer), so the layout leaves room.
 */

export interface BarSpec {
  label: string;
  /** undefined: drawn as a grey "not measured" line instead of a bar. */
  value: number | undefined;
  /** Drawn in the accent colour (the product being compared). */
  highlight?: boolean;
  /** Written after the value, e.g. a ratio. */
  note?: string;
  /** Replaces "not measured" for a missing value, e.g. "n/a: no pipelining over HTTP". */
  missing?: string;
}

export interface PanelSpec {
  title: string;
  /** A smaller line under the title, e.g. "higher is better". */
  subtitle?: string;
  bars: BarSpec[];
  format(v: number): string;
}

export interface ChartSpec {
  title: string;
  /** Caption lines under the title: date, machine, command. */
  lines: string[];
  panels: PanelSpec[];
  /** Small print at the bottom. */
  footnotes?: string[];
}

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";
const ACCENT = '#c0392b';
const OTHER = '#4a6f8a';
const MUTED = '#666666';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rough width of `s` at `size` px in a sans-serif font: enough to size the label column. */
function textWidth(s: string, size: number): number {
  return s.length * size * 0.56;
}

/** Splits `s` at spaces into lines that fit `maxWidth` (estimated); SVG text does not wrap by itself. */
function wrap(s: string, size: number, maxWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > maxWidth) {
      lines.push(line);
      line = `  ${word}`;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

export function barChartSvg(spec: ChartSpec, width = 980): string {
  const margin = 24;
  const rowH = 26;
  const barH = 18;
  const labelSize = 13;
  const allLabels = spec.panels.flatMap((p) => p.bars.map((b) => b.label));
  const labelW = Math.min(380, Math.max(160, ...allLabels.map((l) => textWidth(l, labelSize))) + 16);
  // Room right of the longest bar for "value · note".
  const allValues = spec.panels.flatMap((p) => p.bars.map((b) => `${b.value === undefined ? b.missing ?? 'not measured' : p.format(b.value)}${b.note ? `  ${b.note}` : ''}`));
  const valueW = Math.min(340, Math.max(120, ...allValues.map((v) => textWidth(v, 12))) + 12);
  const x0 = margin + labelW;
  const barMax = width - margin - valueW - x0;
  const out: string[] = [];
  let y = margin;

  out.push(`<text x="${margin}" y="${y + 18}" font-size="20" font-weight="bold" fill="#111">${esc(spec.title)}</text>`);
  y += 30;
  for (const line of spec.lines.flatMap((l) => wrap(l, 13, width - 2 * margin))) {
    out.push(`<text x="${margin}" y="${y + 13}" font-size="13" fill="${MUTED}">${esc(line)}</text>`);
    y += 18;
  }
  y += 10;

  for (const panel of spec.panels) {
    out.push(`<text x="${margin}" y="${y + 16}" font-size="15" font-weight="bold" fill="#111">${esc(panel.title)}</text>`);
    y += 22;
    if (panel.subtitle) {
      out.push(`<text x="${margin}" y="${y + 12}" font-size="12" fill="${MUTED}">${esc(panel.subtitle)}</text>`);
      y += 18;
    }
    y += 4;
    const max = Math.max(0, ...panel.bars.map((b) => b.value ?? 0));
    for (const bar of panel.bars) {
      const mid = y + rowH / 2;
      const weight = bar.highlight ? ' font-weight="bold"' : '';
      out.push(`<text x="${x0 - 10}" y="${mid + 4.5}" font-size="${labelSize}" text-anchor="end" fill="#222"${weight}>${esc(bar.label)}</text>`);
      if (bar.value === undefined) {
        out.push(`<text x="${x0 + 4}" y="${mid + 4.5}" font-size="12" font-style="italic" fill="${MUTED}">${esc(bar.missing ?? 'not measured')}</text>`);
      } else {
        const w = max > 0 ? Math.max(1, (bar.value / max) * barMax) : 1;
        out.push(`<rect x="${x0}" y="${mid - barH / 2}" width="${w.toFixed(1)}" height="${barH}" rx="2" fill="${bar.highlight ? ACCENT : OTHER}"/>`);
        // dx, not spaces: SVG collapses runs of whitespace.
        const note = bar.note ? `<tspan dx="10" fill="${MUTED}" font-weight="normal">${esc(bar.note)}</tspan>` : '';
        out.push(`<text x="${(x0 + w + 6).toFixed(1)}" y="${mid + 4.5}" font-size="12" fill="#111"${weight}>${esc(panel.format(bar.value))}${note}</text>`);
      }
      y += rowH;
    }
    y += 16;
  }

  for (const note of (spec.footnotes ?? []).flatMap((l) => wrap(l, 11, width - 2 * margin))) {
    out.push(`<text x="${margin}" y="${y + 11}" font-size="11" fill="${MUTED}">${esc(note)}</text>`);
    y += 16;
  }
  const height = Math.ceil(y + margin - 8);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    // An opaque background keeps the text readable on a dark page.
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}
