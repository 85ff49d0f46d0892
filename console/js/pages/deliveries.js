// Deliveries: pick a destination (or endpoint) and a state; one delivery's attempts as a
// timeline; retry it now; retry every failed delivery of that destination since a time.
import { get, post } from "../api.js";
import { badge, button, h, notice, replace, table, time } from "../dom.js";

// An HTTP destination succeeds with 2xx, a command with exit code 0, a file write with 0.
const succeeded = (a) => !a.error && (a.status === 0 || (a.status >= 200 && a.status < 300));

const STATE = { delivered: "ok", pending: "warn", sending: "warn", failed: "bad" };

export function deliveriesPage(view, [initial, deliveryId]) {
  let live = true;
  const dest = h("select", { name: "destination", "aria-label": "Destination" });
  const state = h("select", { name: "state", "aria-label": "State" },
    ["", "pending", "sending", "delivered", "failed"].map((s) => h("option", { value: s }, s || "any state")));
  const since = h("input", { type: "text", name: "since", value: new Date(Date.now() - 3600e3).toISOString() });
  const out = h("div", { class: "result" });
  const list = h("div", {});
  const detail = h("div", { class: "detail" });

  const load = async () => {
    if (!dest.value) return;
    const page = await get(["delivery"], { destination: dest.value, state: state.value, limit: 100 });
    if (!live) return;
    replace(list, page.data.length === 0 ? h("p", { class: "muted" }, "No deliveries.") : table([
      ["Received", (d) => time(d.receivedAt)],
      ["Id", (d) => d.id],
      ["Source", (d) => d.source],
      ["Event type", (d) => d.eventType],
      ["State", (d) => badge(d.state, STATE[d.state] ?? "")],
      ["Attempts", (d) => String(d.attempts)],
      ["Next attempt", (d) => time(d.nextAttemptAt) || "—"],
    ], page.data, (d) => open(d.id)));
  };

  const open = async (id) => {
    const [d, attempts] = await Promise.all([get(["delivery", id]), get(["delivery", id, "attempt"], { limit: 250 })]);
    if (!live) return;
    replace(detail,
      h("h2", {}, `Delivery ${d.id}`, " ", badge(d.state, STATE[d.state] ?? "")),
      h("div", { class: "actions" }, button("Retry now", async () => {
        try {
          const r = await post(["delivery", id, "retry"], {});
          notice(out, r.requeued ? "Queued: it is attempted now." : "Still pending: left as it is.", "ok");
          setTimeout(() => live && open(id).catch(() => {}), 1000);
          await load();
        } catch (e) {
          notice(out, e.message);
        }
      })),
      h("ol", { class: "timeline" }, attempts.data.map((a) => h("li", { class: succeeded(a) ? "ok" : "bad" },
        h("span", { class: "when" }, time(a.timestamp)), " ",
        badge(a.status ? String(a.status) : "no answer", succeeded(a) ? "ok" : "bad"), " ",
        `#${a.number} · ${a.durationMs} ms · ${a.trigger}`,
        a.error ? h("div", { class: "error" }, a.error) : null,
        a.response ? h("pre", { class: "excerpt" }, a.response) : null))),
      attempts.data.length === 0 ? h("p", { class: "muted" }, "No attempts yet.") : null);
  };

  (async () => {
    const dests = await get(["destination"], { limit: 250 });
    if (!live) return;
    replace(dest, dests.data.map((d) => h("option", { value: d.destination }, `${d.name} (${d.kind})`)));
    if (initial) dest.value = initial;
    dest.addEventListener("change", () => load().catch((e) => notice(out, e.message)));
    state.addEventListener("change", () => load().catch((e) => notice(out, e.message)));
    replace(view, h("h1", {}, "Deliveries"),
      h("div", { class: "filters" }, dest, state,
        button("Refresh", () => load().catch((e) => notice(out, e.message))),
        h("span", { class: "bulk" }, since, button("Retry all failed since", async () => {
          try {
            const r = await post(["delivery", "retry-failed"], { destination: dest.value, since: since.value });
            notice(out, `${r.requeued} deliveries queued again.`, "ok");
            await load();
          } catch (e) {
            notice(out, e.message);
          }
        }))),
      out, list, detail);
    await load();
    if (deliveryId) await open(deliveryId);
  })().catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}
