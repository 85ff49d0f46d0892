// Asana establishment: per source with the asana handshake, whether a window is armed (until
// when), whether its one-time code was consumed, and whether a secret is established for which
// Asana webhook.
import { get } from "../api.js";
import { badge, h, notice, replace, table, time } from "../dom.js";

const KIND = { armed: "warn", consumed: "warn", expired: "bad", established: "ok", none: "" };

export function establishmentPage(view) {
  let live = true;
  get(["establishment"], { limit: 250 }).then((page) => {
    if (!live) return;
    replace(view, h("h1", {}, "Asana establishment"),
      h("p", { class: "muted" }, "Arm a window with `hookgate establish asana`; codes and secrets are never shown here."),
      page.data.length === 0 ? h("p", { class: "muted" }, "No source uses the Asana handshake.") : table([
        ["Source", (e) => e.source],
        ["State", (e) => badge(e.state, KIND[e.state] ?? "")],
        ["Armed until", (e) => time(e.armedUntil) || "—"],
        // A code exists only while a window is open ("—" otherwise, not "no").
        ["Code consumed", (e) => e.armedUntil ? (e.codeConsumed ? "yes" : "no") : "—"],
        ["Secret established", (e) => e.established ? "yes" : "no"],
        ["Asana webhook", (e) => e.webhookGid || "—"],
      ], page.data));
  }).catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}
