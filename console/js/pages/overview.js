// Overview: the per-second rates of every node (their sum; each node's share in a table) over
// the last five minutes or the last hour as charts (refreshed every two seconds; the hour
// averaged over 10 s so a chart keeps 360 points), the queue, and the endpoints disabled or
// with an open circuit (and on which nodes).
import { get } from "../api.js";
import { h, notice, replace, table, time } from "../dom.js";
import { lineChart } from "../chart.js";

const RANGES = { "5 min": [300, 1], "1 hour": [3600, 10] };

// Averages every n values: the rate per second over each n-second slice.
function slices(values, n) {
  if (n === 1) return values;
  const out = [];
  for (let i = 0; i < values.length; i += n) {
    const part = values.slice(i, i + n);
    out.push(Math.round((part.reduce((a, b) => a + b, 0) / part.length) * 10) / 10);
  }
  return out;
}

export function overviewPage(view) {
  let timer = 0;
  let live = true;
  let range = "5 min";
  const picker = h("select", { name: "range", "aria-label": "Range" },
    Object.keys(RANGES).map((r) => h("option", { value: r }, r)));
  picker.addEventListener("change", () => {
    range = picker.value;
    clearTimeout(timer);
    tick();
  });
  const tick = async () => {
    try {
      const [seconds, n] = RANGES[range];
      const s = await get(["stats"], { seconds });
      if (!live) return;
      const sr = Object.fromEntries(Object.entries(s.series).map(([k, v]) =>
        [k, Array.isArray(v) ? slices(v, n) : Object.fromEntries(Object.entries(v).map(([r, x]) => [r, slices(x, n)]))]));
      const reasons = Object.entries(sr.refusedByReason ?? {}).sort((a, b) =>
        b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0)).slice(0, 4);
      replace(view,
        h("h1", {}, "Overview ", h("span", { class: "muted" }, `node ${s.node}`)),
        h("div", { class: "filters" }, picker),
        h("div", { class: "cards" },
          h("div", { class: "card" }, h("div", { class: "big" }, String(s.queueDepth)), "deliveries pending"),
          h("div", { class: "card" }, h("div", { class: "big" }, s.oldestPendingAt ? time(s.oldestPendingAt) : "—"),
            "oldest pending due"),
          h("div", { class: "card" }, h("div", { class: "big" }, String(s.endpointsDisabled.length)), "endpoints disabled"),
          h("div", { class: "card" }, h("div", { class: "big" }, String(s.endpointsCircuitOpen.length)), "circuits open")),
        h("div", { class: "charts" },
          lineChart("Inbound per second", [
            { name: "accepted", values: sr.accepted, cls: "c1" },
            { name: "duplicate", values: sr.duplicate, cls: "c2" },
            { name: "refused", values: sr.refused, cls: "c3" },
          ]),
          lineChart("Refused by reason", reasons.map(([name, values], i) => ({ name, values, cls: `c${i + 3}` }))),
          lineChart("Deliveries per second", [
            { name: "delivered", values: sr.delivered, cls: "c1" },
            { name: "retried", values: sr.retried, cls: "c2" },
            { name: "failed", values: sr.failed, cls: "c3" },
          ])),
        problems("Endpoints disabled", s.endpointsDisabled),
        problems("Circuits open", s.endpointsCircuitOpen),
        perNode(s.nodes ?? []));
    } catch (e) {
      if (live) notice(view, e.message);
    }
    if (live) timer = setTimeout(tick, 2000);
  };
  tick();
  return () => {
    live = false;
    clearTimeout(timer);
  };
}

function problems(title, rows) {
  if (rows.length === 0) return null;
  return [h("h2", {}, title), table([
    ["Endpoint", (r) => h("a", { href: `#/apps/${encodeURIComponent(r.appId)}` }, r.endpointId)],
    ["Application", (r) => r.appId],
    ["Why", (r) => r.reason ?? (r.nodes ? `open on ${r.nodes.join(", ")}` : "")],
  ], rows)];
}

// Each node's share of the window (the charts show their sum).
function perNode(nodes) {
  if (nodes.length < 2) return null;
  return [h("h2", {}, "Nodes"), table([
    ["Node", (n) => n.node],
    ["Heard from", (n) => time(n.updatedAt)],
    ["Accepted", (n) => String(n.accepted)],
    ["Refused", (n) => String(n.refused)],
    ["Delivered", (n) => String(n.delivered)],
    ["Retried", (n) => String(n.retried)],
    ["Failed", (n) => String(n.failed)],
  ], nodes)];
}
