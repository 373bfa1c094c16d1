/**
 * A hand-written SVG line chart: no plotting dependency. Several panels side by side, each
 * with axes, ticks, one polyline per series and a legend.
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** x ticks at exactly these values (default: nice numbers from 0). */
  xTicks?: number[];
  /** Place the x ticks evenly, in order (windows of 25, 100, 500), instead of to scale. */
  categorical?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const W = 460;
const PLOT_H = 210;
const M = { left: 60, right: 16, top: 34 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** 0, 1, 2, 5 x 10^k steps covering [0, max]. */
function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(Number((ticks.length * step).toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 1000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 1 ? 2 : 1);
}

function panel(p: Panel, x0: number): string {
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xTicks = p.xTicks ?? niceTicks(Math.max(...pts.map(([x]) => x), 1));
  const yTicks = niceTicks(Math.max(...pts.map(([, y]) => y), 1e-9));
  const xMax = Math.max(...xTicks);
  const yMax = Math.max(...yTicks);
  const pw = W - M.left - M.right;
  const ph = PLOT_H;
  const order = [...xTicks].sort((a, b) => a - b);
  // Categorical: tick i of n at (i + 0.5) / n of the width; values between ticks are interpolated.
  const cat = (x: number) => {
    const i = order.findIndex((t) => t >= x);
    if (i <= 0) return 0.5 / order.length;
    const a = order[i - 1] as number;
    const b = order[i] as number;
    return (i - 0.5 + (x - a) / (b - a)) / order.length;
  };
  const sx = (x: number) => x0 + M.left + (p.categorical ? cat(x) : x / xMax) * pw;
  const sy = (y: number) => M.top + ph - (y / yMax) * ph;
  const out: string[] = [];
  out.push(`<text x="${x0 + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of yTicks) {
    out.push(`<line x1="${x0 + M.left}" x2="${x0 + M.left + pw}" y1="${sy(t)}" y2="${sy(t)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 + M.left - 6}" y="${sy(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of xTicks) {
    out.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${sy(0)}" y2="${sy(0) + 4}" stroke="#333"/>`);
    out.push(`<text x="${sx(t)}" y="${sy(0) + 17}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  const left = x0 + M.left;
  const right = x0 + M.left + pw;
  out.push(`<line x1="${left}" x2="${right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${sy(0)}" y2="${sy(yMax)}" stroke="#333"/>`);
  out.push(`<text x="${x0 + M.left + pw / 2}" y="${sy(0) + 34}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  out.push(
    `<text transform="translate(${x0 + 16} ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(p.yLabel)}</text>`,
  );
  p.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (good.length) {
      const d = good.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`);
      for (const [x, y] of good) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"/>`);
    }
    const ly = sy(0) + 52 + i * 15;
    const lx = x0 + M.left;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,4"' : ''}/>`,
    );
    out.push(`<text x="${lx + 22}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

export function renderSvg(panels: Panel[], caption: string): string {
  const width = W * panels.length;
  const legend = Math.max(...panels.map((p) => p.series.length));
  const height = M.top + PLOT_H + 44 + legend * 15 + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels.map((p, i) => panel(p, i * W)),
    `<text x="8" y="${height - 6}" font-size="10" fill="#555">${esc(caption)}</text>`,
    `</svg>`,
    '',
  ].join('\n');
}
