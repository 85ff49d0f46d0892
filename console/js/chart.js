// A small SVG line chart (no library): one polyline per series, scaled to the largest value,
// colours from CSS classes (no inline style, so the strict CSP holds).
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

// series: [{name, values: number[], cls}]; returns an <svg> with a legend line of text.
export function lineChart(title, series, { width = 560, height = 140 } = {}) {
  const pad = { l: 40, r: 8, t: 18, b: 16 };
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img" });
  const label = el("text", { x: pad.l, y: 12, class: "chart-title" });
  label.textContent = title;
  svg.append(label);
  const n = Math.max(1, ...series.map((s) => s.values.length));
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => pad.l + (i * (width - pad.l - pad.r)) / Math.max(1, n - 1);
  const y = (v) => height - pad.b - (v * (height - pad.t - pad.b)) / max;
  svg.append(el("line", { x1: pad.l, y1: y(0), x2: width - pad.r, y2: y(0), class: "axis" }));
  const top = el("text", { x: pad.l - 4, y: y(max) + 4, class: "chart-scale" });
  top.textContent = String(max);
  const zero = el("text", { x: pad.l - 4, y: y(0), class: "chart-scale" });
  zero.textContent = "0";
  svg.append(top, zero);
  let lx = pad.l + 160;
  for (const s of series) {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    svg.append(el("polyline", { points, class: `line ${s.cls}` }));
    const key = el("text", { x: lx, y: 12, class: `legend ${s.cls}` });
    key.textContent = `${s.name} ${s.values.at(-1) ?? 0}/s`;
    svg.append(key);
    lx += 110;
  }
  return svg;
}
