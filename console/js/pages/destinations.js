// Destinations and endpoints: health of the last hour, circuit (on which nodes), why disabled,
// verification; endpoints can be enabled or disabled, have their secret rotated (the new one
// shown once) and be verified again. A configured destination can be paused and resumed (its
// deliveries wait meanwhile); its URL and secret belong to the configuration file, which is
// where its secret is rotated (the page says so).
import { get, patch, post } from "../api.js";
import { badge, button, h, notice, replace, table } from "../dom.js";

export function destinationsPage(view) {
  let live = true;
  const out = h("div", { class: "result" });
  const load = async () => {
    const page = await get(["destination"], { limit: 250 });
    if (!live) return;
    const act = (label, f) => button(label, async () => {
      try {
        await f();
      } catch (e) {
        notice(out, e.message);
      }
    });
    replace(view, h("h1", {}, "Destinations and endpoints"), out, table([
      ["Destination", (d) => h("a", { href: `#/deliveries/${encodeURIComponent(d.destination)}` }, d.name)],
      ["Kind", (d) => d.kind],
      ["URL", (d) => d.url],
      ["State", (d) => d.enabled ? badge("enabled", "ok") : [badge("disabled", "bad"), " ", d.disabledReason ?? ""]],
      ["Circuit", (d) => d.circuit === "open"
        ? [badge("open", "bad"), " ", (d.circuitOpenOn ?? []).length ? `on ${d.circuitOpenOn.join(", ")}` : ""]
        : d.circuit],
      ["Verification", (d) => d.verification === null ? "—" : badge(d.verification, d.verification === "unverified" ? "warn" : "ok")],
      ["Last hour", (d) => `${d.health.delivered} ok · ${d.health.pending + d.health.sending} pending · ${d.health.failed} failed`],
      ["", (d) => d.kind !== "endpoint" ? configuredActions(d) : h("span", { class: "actions" },
        act(d.enabled ? "Disable" : "Enable", async () => {
          await patch(["app", d.appId, "endpoint", d.endpointId], { disabled: d.enabled });
          await load();
        }),
        act("Rotate secret", async () => {
          await post(["app", d.appId, "endpoint", d.endpointId, "secret", "rotate"], {});
          const s = await get(["app", d.appId, "endpoint", d.endpointId, "secret"]);
          replace(out, h("div", { class: "secret" }, h("p", {}, `New secret of ${d.name}, shown this once:`),
            h("code", { class: "secret-value" }, s.key)));
        }),
        act("Verify again", async () => {
          const r = await post(["app", d.appId, "endpoint", d.endpointId, "verify"], {});
          notice(out, r.verified ? `${d.name}: verified.` : `${d.name}: not verified (${r.reason ?? "no reason"}).`,
            r.verified ? "ok" : "error");
          await load();
        }))],
    ], page.data));
  };
  // A configured destination: pause or resume (with an optional reason), and where its secret
  // is rotated (the configuration file: the console never holds a second copy of it).
  const configuredActions = (d) => {
    const reason = h("input", { type: "text", name: "reason", placeholder: "reason (optional)" });
    const toggle = button(d.enabled ? "Disable" : "Enable", async () => {
      try {
        await patch(["destination", d.name], d.enabled ? { disabled: true, reason: reason.value } : { disabled: false });
        await load();
      } catch (e) {
        notice(out, e.message);
      }
    });
    const secret = d.secretManagedBy !== "config" ? "" : h("p", { class: "hint" },
      `Secret from ${d.secretFrom ?? "the configuration"}: rotate it in the configuration file and restart (see docs/console.md, "Rotating a configured destination's secret").`);
    return h("span", { class: "actions" }, d.enabled ? reason : "", toggle, secret);
  };
  load().catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}
