// The only way the console builds DOM: elements with text children. Strings always become text
// nodes (never HTML), attributes come from a short allow-list, and links may only point inside
// the console, so nothing from a payload can become markup, script or a navigation elsewhere.
const ATTRS = new Set(["class", "type", "name", "value", "placeholder", "title", "for", "id",
  "disabled", "checked", "selected", "autocomplete", "required", "min", "max", "step", "rows",
  "aria-label", "data-id", "data-state", "role", "tabindex", "colspan"]);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "href") {
      el.setAttribute("href", safeHref(String(v)));
    } else if (ATTRS.has(k)) {
      el.setAttribute(k, v === true ? "" : String(v));
    } else {
      throw new Error(`attribute ${k} is not allowed`);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// In-console routes only ("#/..."): a payload can never make a javascript: or remote link.
function safeHref(v) {
  return v.startsWith("#/") ? v : "#/";
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

export function time(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace("T", " ").replace("Z", "");
}

// A table of rows: columns are [title, row => cell content].
export function table(columns, rows, onRow) {
  return h("table", { class: "grid" },
    h("thead", {}, h("tr", {}, columns.map(([t]) => h("th", {}, t)))),
    h("tbody", {}, rows.map((r) => {
      const tr = h("tr", onRow ? { class: "clickable", tabindex: 0 } : {},
        columns.map(([, f]) => h("td", {}, f(r))));
      if (onRow) {
        tr.addEventListener("click", () => onRow(r, tr));
        tr.addEventListener("keydown", (e) => e.key === "Enter" && onRow(r, tr));
      }
      return tr;
    })));
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}` }, text);
}

export function button(label, onclick, cls = "") {
  return h("button", { type: "button", class: cls, onclick }, label);
}

export function notice(el, text, kind = "error") {
  replace(el, text ? h("p", { class: kind }, text) : null);
}
