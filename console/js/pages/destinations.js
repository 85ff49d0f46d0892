// Destinations and endpoints: health of the last hour, circuit, why disabled, verification;
// endpoints can be enabled or disabled, have their secret rotated (the new one shown once) and
// be verified again (configured destinations are fixed by the configuration file).
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
      ["Circuit", (d) => d.circuit === "open" ? badge("open", "bad") : d.circuit],
      ["Verification", (d) => d.verification === null ? "—" : badge(d.verification, d.verification === "unverified" ? "warn" : "ok")],
      ["Last hour", (d) => `${d.health.delivered} ok · ${d.health.pending + d.health.sending} pending · ${d.health.failed} failed`],
      ["", (d) => d.kind !== "endpoint" ? "" : h("span", { class: "actions" },
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
  load().catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}
