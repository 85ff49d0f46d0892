// Overview: this node's per-second rates over the last five minutes as charts (refreshed every
// two seconds), the queue, and the endpoints disabled or with an open circuit.
import { get } from "../api.js";
import { h, notice, replace, table, time } from "../dom.js";
import { lineChart } from "../chart.js";

const SECONDS = 300;

export function overviewPage(view) {
  let timer = 0;
  let live = true;
  const tick = async () => {
    try {
      const s = await get(["stats"], { seconds: SECONDS });
      if (!live) return;
      const sr = s.series;
      const reasons = Object.entries(sr.refusedByReason ?? {}).sort((a, b) =>
        b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0)).slice(0, 4);
      replace(view,
        h("h1", {}, "Overview ", h("span", { class: "muted" }, `node ${s.node}`)),
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
        problems("Circuits open", s.endpointsCircuitOpen));
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
    ["Why", (r) => r.reason ?? ""],
  ], rows)];
}
