/** A dependency-free grouped bar chart as SVG (log scale optional). */
export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function barChart(options: { title: string; categories: readonly string[]; series: readonly Series[]; unit: string; log?: boolean }): string {
  const width = 760;
  const height = 380;
  const left = 70;
  const bottom = 60;
  const top = 50;
  const plotW = width - left - 20;
  const plotH = height - top - bottom;
  const all = options.series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  const max = Math.max(1e-9, ...all);
  const min = options.log ? Math.max(1e-3, Math.min(...all)) : 0;
  const scale = (v: number) => {
    if (!Number.isFinite(v) || v <= 0) return 0;
    if (!options.log) return (v / max) * plotH;
    const lo = Math.log10(min) - 0.3;
    return ((Math.log10(v) - lo) / (Math.log10(max) - lo)) * plotH;
  };
  const groupW = plotW / Math.max(1, options.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, options.series.length);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(options.title)}</text>`,
    `<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333"/>`,
    `<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">${esc(options.unit)}${options.log ? ' (log)' : ''}</text>`,
  ];
  options.categories.forEach((c, ci) => {
    const gx = left + ci * groupW + groupW * 0.1;
    options.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN;
      const h = scale(v);
      const x = gx + si * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${(top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[si % COLORS.length]}"/>`,
      );
      if (Number.isFinite(v))
        parts.push(
          `<text x="${(x + barW / 2).toFixed(1)}" y="${(top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-size="10">${v >= 100 ? v.toFixed(0) : v.toFixed(1)}</text>`,
        );
    });
    parts.push(`<text x="${(gx + (groupW * 0.8) / 2).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${esc(c)}</text>`);
  });
  options.series.forEach((s, si) => {
    const x = left + si * 180;
    parts.push(
      `<rect x="${x}" y="${height - 22}" width="12" height="12" fill="${COLORS[si % COLORS.length]}"/><text x="${x + 16}" y="${height - 12}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
