// Calls to the gateway from the console and the portal. The session lives in an HttpOnly
// cookie the page cannot read; the CSRF token (from login or /console/session) goes in
// X-CSRF-Token on every call that can change state.
let csrf = "";
let onExpired = () => {};

export function onSessionExpired(f) {
  onExpired = f;
}

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.body = body;
  }
}

async function call(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, {
    method,
    headers,
    credentials: "same-origin",
    cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (res.status === 401 && !url.startsWith("/console/")) onExpired();
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

export async function login(key) {
  const s = await call("POST", "/console/login", { key });
  csrf = s.csrfToken;
  return s;
}

export async function session() {
  try {
    const s = await call("GET", "/console/session");
    csrf = s.csrfToken;
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return null;
    throw e;
  }
}

export async function logout() {
  await call("POST", "/console/logout");
  csrf = "";
}

const enc = encodeURIComponent;

// /api/v1 with path segments escaped one by one and a query from an object.
export function path(segments, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    for (const one of Array.isArray(v) ? v : [v]) q.append(k, String(one));
  }
  const qs = q.toString();
  return "/api/v1/" + segments.map((s) => enc(String(s))).join("/") + (qs ? "?" + qs : "");
}

export const get = (segments, query) => call("GET", path(segments, query));
export const post = (segments, body = {}, query) => call("POST", path(segments, query), body);
export const put = (segments, body) => call("PUT", path(segments), body);
export const patch = (segments, body) => call("PATCH", path(segments), body);
export const del = (segments) => call("DELETE", path(segments));
