// One application as the console and the portal show it: endpoints (add, verify, enable or
// disable, rotate and reveal the secret once, recover), event types, messages with their
// fan-out and attempts (resend). Everything goes through /api/v1 with the session's own rights:
// the portal's token reaches only its application, so this view cannot show another.
import { del, get, patch, post } from "./api.js";
import { badge, button, h, notice, replace, table, time } from "./dom.js";

const STATUS = { 0: ["success", "ok"], 1: ["pending", "warn"], 2: ["failed", "bad"], 3: ["sending", "warn"] };

function status(code) {
  const [text, kind] = STATUS[code] ?? [String(code), ""];
  return badge(text, kind);
}

function errorText(e) {
  return e && e.message ? e.message : String(e);
}

function pretty(value) {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value);
  }
}

// Renders app appId into root. caps: the portal token's capabilities (null: everything).
export async function renderApp(root, appId, caps = null) {
  const can = (c) => caps === null || caps.includes(c) || caps.includes("ManageEndpoint");
  const status_ = h("div", { class: "status" });
  const tabs = h("div", { class: "tabs" });
  const body = h("div", { class: "tab-body" });
  replace(root, status_, tabs, body);
  const show = (name, f) => {
    for (const b of tabs.children) b.classList.toggle("active", b.dataset.id === name);
    replace(body, h("p", { class: "muted" }, "Loading…"));
    f().catch((e) => notice(body, errorText(e)));
  };
  const tab = (name, label, f) => {
    const b = h("button", { type: "button", class: "tab", "data-id": name }, label);
    b.addEventListener("click", () => show(name, f));
    tabs.append(b);
  };

  async function endpoints() {
    const page = await get(["app", appId, "endpoint"], { limit: 250 });
    const form = addEndpointForm();
    replace(body,
      can("ManageEndpoint") ? form : null,
      page.data.length === 0 ? h("p", { class: "muted" }, "No endpoints yet.") : table([
        ["URL", (e) => e.url],
        ["Description", (e) => e.description ?? ""],
        ["State", (e) => e.disabled ? badge("disabled", "bad") : badge("enabled", "ok")],
        ["Verified", (e) => e.verified === false ? badge("unverified", "warn") : badge("verified", "ok")],
        ["Event types", (e) => (e.filterTypes ?? e.eventTypes ?? []).join(", ") || "all"],
      ], page.data, (e) => endpoint(e.id)));
  }

  function addEndpointForm() {
    const url = h("input", { name: "url", type: "text", placeholder: "https://example.com/webhooks", required: true });
    const desc = h("input", { name: "description", type: "text", placeholder: "Description" });
    const types = h("input", { name: "eventTypes", type: "text", placeholder: "event types, comma separated (empty: all)" });
    const out = h("div", { class: "result" });
    const form = h("form", { class: "inline-form", "aria-label": "Add endpoint" },
      url, desc, types, h("button", { type: "submit" }, "Add endpoint"), out);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const filterTypes = types.value.split(",").map((s) => s.trim()).filter(Boolean);
      try {
        const created = await post(["app", appId, "endpoint"], {
          url: url.value.trim(), description: desc.value, ...(filterTypes.length ? { filterTypes } : {}),
        });
        replace(body, secretBox("Endpoint added. Its signing secret, shown this once:", created.secret),
          button("Back to endpoints", () => show("endpoints", endpoints)));
      } catch (e) {
        notice(out, errorText(e));
      }
    });
    return form;
  }

  // said: a [text, kind] notice to show once the endpoint is drawn again after an action.
  async function endpoint(id, said = null) {
    const [e, stats] = await Promise.all([
      get(["app", appId, "endpoint", id]),
      get(["app", appId, "endpoint", id, "stats"]).catch(() => null),
    ]);
    const out = h("div", { class: "result" });
    const act = (label, f, cls = "") => button(label, async () => {
      try {
        await f();
      } catch (err) {
        notice(out, errorText(err));
      }
    }, cls);
    const since = h("input", { type: "text", name: "since", value: new Date(Date.now() - 3600e3).toISOString() });
    const attempts = await get(["app", appId, "attempt", "endpoint", id], { limit: 50 });
    replace(body,
      button("← Endpoints", () => show("endpoints", endpoints), "link"),
      h("h2", {}, e.url),
      h("dl", { class: "facts" },
        h("dt", {}, "Id"), h("dd", {}, e.id),
        h("dt", {}, "State"), h("dd", {}, e.disabled ? badge("disabled", "bad") : badge("enabled", "ok"),
          e.disabledReason ? ` (${e.disabledReason})` : ""),
        h("dt", {}, "Verification"), h("dd", {}, e.verified === false ? badge("unverified", "warn") : badge("verified", "ok"),
          e.verificationError ? ` ${e.verificationError}` : ""),
        h("dt", {}, "Failing since"), h("dd", {}, time(e.failingSince) || "—"),
        h("dt", {}, "Signing"), h("dd", {}, e.signing ?? "hmac"),
        stats ? [h("dt", {}, "Messages"), h("dd", {},
          `${stats.success} delivered, ${stats.pending} pending, ${stats.sending} sending, ${stats.fail} failed`)] : null),
      h("div", { class: "actions" },
        can("ManageEndpoint") ? act("Verify again", async () => {
          const r = await post(["app", appId, "endpoint", id, "verify"], {});
          // Drawn again: the verification state above must say what the answer says.
          await endpoint(id, r.verified ? ["Verified.", "ok"] : [`Not verified: ${r.reason ?? "no reason given"}`, "error"]);
        }) : null,
        can("ManageEndpoint") ? act(e.disabled ? "Enable" : "Disable", async () => {
          await patch(["app", appId, "endpoint", id], { disabled: !e.disabled });
          await endpoint(id);
        }) : null,
        can("ManageEndpointSecret") ? act("Rotate secret", async () => {
          await post(["app", appId, "endpoint", id, "secret", "rotate"], {});
          const s = await get(["app", appId, "endpoint", id, "secret"]);
          replace(out, secretBox("Secret rotated. The new one, shown this once:", s.key));
        }) : null,
        can("CreateAttempts") ? h("span", { class: "recover" }, since, act("Recover failed since", async () => {
          const r = await post(["app", appId, "endpoint", id, "recover"], { since: since.value });
          const sent = r?.data?.messagesSent;
          const said = [typeof sent === "number"
            ? `${sent} failed ${sent === 1 ? "message" : "messages"} since then sent again.`
            : "Recovery started: failed messages since then are sent again.", "ok"];
          notice(out, ...said);
          // Their new attempts, unless another view replaced this one meanwhile.
          setTimeout(() => out.isConnected && endpoint(id, said).catch(() => {}), 1000);
        })) : null,
        can("ManageEndpoint") ? act("Delete", async () => {
          await del(["app", appId, "endpoint", id]);
          show("endpoints", endpoints);
        }, "danger") : null),
      out,
      h("h3", {}, "Attempts"),
      attemptTable(attempts.data));
    if (said) notice(out, ...said);
  }

  function attemptTable(rows) {
    if (rows.length === 0) return h("p", { class: "muted" }, "No attempts.");
    return table([
      ["Time", (a) => time(a.timestamp)],
      ["Message", (a) => a.msgId],
      ["Endpoint", (a) => a.url],
      ["Status", (a) => status(a.status)],
      ["HTTP", (a) => a.responseStatusCode ? String(a.responseStatusCode) : "—"],
      ["Latency", (a) => a.responseDurationMs != null ? `${a.responseDurationMs} ms` : ""],
      ["Trigger", (a) => a.triggerType === 1 ? "manual" : "scheduled"],
      ["Response", (a) => h("code", { class: "excerpt" }, String(a.response ?? a.error ?? "").slice(0, 200))],
    ], rows);
  }

  async function eventTypes() {
    const page = await get(["event-type"], { limit: 250 });
    replace(body, page.data.length === 0 ? h("p", { class: "muted" }, "No event types.") : table([
      ["Name", (t) => t.name],
      ["Description", (t) => t.description ?? ""],
      ["State", (t) => t.archived ? badge("archived", "warn") : t.deprecated ? badge("deprecated", "warn") : ""],
    ], page.data));
  }

  async function messages() {
    const page = await get(["app", appId, "msg"], { limit: 100 });
    replace(body, page.data.length === 0 ? h("p", { class: "muted" }, "No messages yet.") : table([
      ["Time", (m) => time(m.timestamp)],
      ["Id", (m) => m.id],
      ["Event type", (m) => m.eventType],
      ["Event id", (m) => m.eventId ?? ""],
    ], page.data, (m) => message(m.id)));
  }

  async function message(id) {
    const [m, fanout, attempts] = await Promise.all([
      get(["app", appId, "msg", id]),
      get(["app", appId, "msg", id, "endpoint"], { limit: 250 }),
      get(["app", appId, "attempt", "msg", id], { limit: 250 }),
    ]);
    const out = h("div", { class: "result" });
    replace(body,
      button("← Messages", () => show("messages", messages), "link"),
      h("h2", {}, `${m.eventType} · ${m.id}`),
      h("pre", { class: "payload" }, pretty(m.payload)),
      h("h3", {}, "Fan-out"),
      fanout.data.length === 0 ? h("p", { class: "muted" }, "No endpoint takes this message.") : table([
        ["Endpoint", (e) => e.url],
        ["Status", (e) => status(e.status)],
        ["Next attempt", (e) => time(e.nextAttempt) || "—"],
        ["", (e) => can("CreateAttempts") ? button("Resend", async () => {
          try {
            await post(["app", appId, "msg", id, "endpoint", e.id, "resend"], {});
            notice(out, `Resent to ${e.url}.`, "ok");
            setTimeout(() => out.isConnected && message(id).catch(() => {}), 1000);
          } catch (err) {
            notice(out, errorText(err));
          }
        }) : ""],
      ], fanout.data),
      out,
      h("h3", {}, "Attempts"),
      attemptTable(attempts.data));
  }

  tab("endpoints", "Endpoints", endpoints);
  tab("eventtypes", "Event types", eventTypes);
  tab("messages", "Messages", messages);
  show("endpoints", endpoints);
  return { status: status_ };
}

// A secret shown once: selectable text, never stored by the page.
function secretBox(label, secret) {
  return h("div", { class: "secret" }, h("p", {}, label), h("code", { class: "secret-value" }, secret ?? ""));
}
