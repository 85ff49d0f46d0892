// Sources: the list, then a source's live inspector feed (accepted, duplicate, handshake and
// refused requests). The feed polls for rows newer than it has every 500 ms; when more arrive
// than one poll returns it jumps to the newest and marks the gap, so a flood cannot make it fall
// ever further behind. At most MAX_ROWS are kept and only the rows in view are in the DOM
// (fixed-height virtual list), so 2 000 requests a second leave the page responsive.
// A request's detail: headers, body as pretty JSON / raw / hex, copy as curl, deliver again.
import { get, post } from "../api.js";
import { badge, button, h, notice, replace, table, time } from "../dom.js";

const POLL_MS = 500;
const MAX_ROWS = 5000;
const ROW_PX = 28;
const PAGE = 250;
const VERDICT = { accepted: "ok", duplicate: "warn", handshake: "", refused: "bad" };

export function sourcesPage(view, [name, requestId]) {
  if (!name) return sourceList(view);
  let live = true;
  let timer = 0;
  let rows = [];
  let newer = "";
  let gaps = 0;
  let scheduled = false;
  const verdict = h("select", { name: "verdict", "aria-label": "Verdict" },
    ["", "accepted", "duplicate", "handshake", "refused"].map((v) => h("option", { value: v }, v || "any verdict")));
  const reason = h("input", { type: "text", name: "reason", placeholder: "reason, e.g. no_match" });
  const count = h("span", { class: "muted count" });
  const out = h("div", { class: "result" });
  const viewport = h("div", { class: "feed", tabindex: 0, role: "list", "aria-label": "Requests" });
  const spacer = h("div", { class: "feed-spacer" });
  const windowEl = h("div", { class: "feed-window" });
  viewport.append(spacer);
  spacer.append(windowEl);
  const detail = h("div", { class: "detail" });

  const render = () => {
    scheduled = false;
    if (!live) return;
    spacer.style.height = `${rows.length * ROW_PX}px`;
    const first = Math.max(0, Math.floor(viewport.scrollTop / ROW_PX) - 5);
    const last = Math.min(rows.length, first + Math.ceil((viewport.clientHeight || 600) / ROW_PX) + 10);
    windowEl.style.transform = `translateY(${first * ROW_PX}px)`;
    replace(windowEl, rows.slice(first, last).map(rowElement));
    replace(count, `${rows.length} rows${gaps ? ` · ${gaps} gaps while flooded` : ""}`);
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(render);
    }
  };
  viewport.addEventListener("scroll", schedule);

  const rowElement = (r) => {
    if (r.gap) return h("div", { class: "feed-row gap", role: "listitem" }, "… more requests arrived than shown (flood) …");
    const el = h("div", { class: "feed-row clickable", role: "listitem", tabindex: 0, "data-id": r.id, "data-state": r.verdict },
      h("span", { class: "when" }, time(r.receivedAt)),
      badge(r.verdict, VERDICT[r.verdict] ?? ""),
      h("span", { class: "reason" }, r.reason),
      h("span", { class: "method" }, r.method),
      h("span", { class: "path" }, r.path),
      h("span", { class: "etype" }, r.eventType),
      h("span", { class: "peer" }, r.peer),
      h("span", { class: "size" }, `${r.bodySize} B`));
    el.addEventListener("click", () => openDetail(r.id));
    el.addEventListener("keydown", (e) => e.key === "Enter" && openDetail(r.id));
    return el;
  };

  const filters = () => ({ verdict: verdict.value, reason: reason.value.trim() });

  const restart = async () => {
    clearTimeout(timer);
    const page = await get(["source", name, "request"], { ...filters(), limit: PAGE });
    if (!live) return;
    rows = page.data;
    newer = page.prevIterator;
    gaps = 0;
    schedule();
    timer = setTimeout(poll, POLL_MS);
  };

  const poll = async () => {
    if (!live) return;
    try {
      const page = await get(["source", name, "request"], { ...filters(), iterator: newer, limit: PAGE });
      if (!live) return;
      if (!page.done) {
        // A flood: more waiting than a poll takes. Jump to the newest and mark the gap.
        const top = await get(["source", name, "request"], { ...filters(), limit: PAGE });
        if (!live) return;
        gaps++;
        rows = [...top.data, { gap: true, id: `gap${gaps}` }, ...page.data, ...rows];
        newer = top.prevIterator;
      } else {
        rows = [...page.data, ...rows];
        newer = page.prevIterator || newer;
      }
      if (rows.length > MAX_ROWS) rows.length = MAX_ROWS;
      // Keep the rows in view still when new ones arrive above them.
      if (viewport.scrollTop > 0) viewport.scrollTop += page.data.length * ROW_PX;
      schedule();
    } catch (e) {
      notice(out, e.message);
    }
    timer = setTimeout(poll, POLL_MS);
  };

  const openDetail = async (id) => {
    try {
      const r = await get(["source", name, "request", id]);
      if (live) showDetail(detail, name, r, out);
    } catch (e) {
      notice(out, e.message);
    }
  };

  for (const f of [verdict, reason]) f.addEventListener("change", () => restart().catch((e) => notice(out, e.message)));
  replace(view,
    h("a", { href: "#/sources", class: "link" }, "← Sources"),
    h("h1", {}, `Source ${name}`),
    h("div", { class: "filters" }, verdict, reason, count),
    out,
    h("div", { class: "split" }, viewport, detail));
  restart().then(() => requestId && openDetail(requestId)).catch((e) => notice(out, e.message));
  return () => {
    live = false;
    clearTimeout(timer);
  };
}

function sourceList(view) {
  let live = true;
  get(["source"], { limit: 250 }).then((page) => {
    if (!live) return;
    replace(view, h("h1", {}, "Sources"), table([
      ["Name", (s) => h("a", { href: `#/sources/${encodeURIComponent(s.name)}` }, s.name)],
      ["Path", (s) => s.path],
      ["Scheme", (s) => s.scheme],
      ["Handshake", (s) => s.handshake],
      ["Accepted", (s) => String(s.accepted)],
      ["Duplicate", (s) => String(s.duplicate)],
      ["Refused", (s) => String(s.refused)],
      ["Ring", (s) => `${s.ring.entries}/${s.ring.maxEntries} · ${Math.round(s.ring.bytes / 1024)}/${Math.round(s.ring.maxBytes / 1024)} KiB`],
    ], page.data, (s) => {
      location.hash = `#/sources/${encodeURIComponent(s.name)}`;
    }));
  }).catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}

function decodeBody(b64) {
  const bin = atob(b64 ?? "");
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  let text = null;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = null;
  }
  let json;
  if (text !== null) {
    try {
      json = JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      json = undefined;
    }
  }
  return { bytes, text, json };
}

function hexdump(bytes) {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const chunk = bytes.subarray(i, i + 16);
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = Array.from(chunk, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${i.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

// POSIX shell single quotes: nothing inside is interpreted; a quote is closed, escaped, reopened.
function sq(s) {
  return `'${String(s).replaceAll("'", `'\\''`)}'`;
}

export function curlCommand(origin, r, body) {
  const parts = [`curl -X ${r.method} ${sq(origin + r.path)}`];
  const redacted = new Set((r.redactedHeaders ?? []).map((n) => n.toLowerCase()));
  const skip = new Set(["host", "content-length", "connection", "transfer-encoding"]);
  for (const { name: n, value } of r.headers) {
    if (skip.has(n.toLowerCase()) || redacted.has(n.toLowerCase())) continue;
    parts.push(`-H ${sq(`${n}: ${value}`)}`);
  }
  if (body.bytes.length > 0) {
    if (body.text !== null) {
      parts.push(`--data-binary ${sq(body.text)}`);
    } else {
      return `printf %s ${sq(btoa(String.fromCharCode(...body.bytes)))} | base64 -d | \\\n  ${parts.join(" \\\n  ")} --data-binary @-`;
    }
  }
  return parts.join(" \\\n  ");
}

function showDetail(detail, source, r, out) {
  const body = decodeBody(r.body);
  const pane = h("pre", { class: "payload" });
  const modes = { pretty: body.json, raw: body.text, hex: hexdump(body.bytes) };
  const modeBar = h("div", { class: "tabs" });
  const pick = (m) => {
    for (const b of modeBar.children) b.classList.toggle("active", b.dataset.id === m);
    replace(pane, modes[m] ?? "");
  };
  for (const [m, label] of [["pretty", "Pretty JSON"], ["raw", "Raw"], ["hex", "Hex"]]) {
    if (modes[m] === undefined || modes[m] === null) continue;
    const b = h("button", { type: "button", class: "tab", "data-id": m }, label);
    b.addEventListener("click", () => pick(m));
    modeBar.append(b);
  }
  const curl = curlCommand(location.origin, r, body);
  const curlPre = h("pre", { class: "curl hidden" }, curl);
  replace(detail,
    h("h2", {}, `${r.verdict} · ${r.reason}`),
    h("dl", { class: "facts" },
      h("dt", {}, "Id"), h("dd", {}, r.id),
      h("dt", {}, "Received"), h("dd", {}, time(r.receivedAt)),
      h("dt", {}, "Status"), h("dd", {}, String(r.status)),
      h("dt", {}, "Peer"), h("dd", {}, r.peer || "—"),
      h("dt", {}, "Node"), h("dd", {}, r.node || "—"),
      h("dt", {}, "Request"), h("dd", {}, `${r.method} ${r.path}`),
      h("dt", {}, "Body"), h("dd", {}, `${r.bodySize} bytes${r.bodyTruncated ? " (truncated)" : ""}`)),
    h("div", { class: "actions" },
      button("Copy as curl", async () => {
        curlPre.classList.remove("hidden");
        try {
          await navigator.clipboard.writeText(curl);
          notice(out, "Copied as curl.", "ok");
        } catch {
          notice(out, "Select the command below to copy it.", "ok");
        }
      }),
      r.verdict === "accepted" ? button("Deliver again", async () => {
        try {
          const q = await post(["source", source, "request", r.id, "deliver"], {});
          notice(out, `Delivered again: ${q.requeued} deliveries queued.`, "ok");
          setTimeout(async () => {
            try {
              showDetail(detail, source, await get(["source", source, "request", r.id]), out);
            } catch {
              // the next click reloads it
            }
          }, 1000);
        } catch (e) {
          notice(out, e.message);
        }
      }) : null),
    curlPre,
    h("h3", {}, "Headers"),
    table([["Name", (x) => x.name], ["Value", (x) => x.value]], r.headers),
    h("h3", {}, "Body"), modeBar, pane,
    r.deliveries.length ? [h("h3", {}, "Deliveries"), table([
      ["Delivery", (d) => h("a", { href: `#/deliveries/${encodeURIComponent(d.destination)}/${encodeURIComponent(d.id)}` }, d.id)],
      ["Destination", (d) => d.destination],
      ["State", (d) => badge(d.state, { delivered: "ok", failed: "bad" }[d.state] ?? "warn")],
      ["Attempts", (d) => String(d.attempts)],
    ], r.deliveries)] : null);
  pick(body.json !== undefined ? "pretty" : body.text !== null ? "raw" : "hex");
}
