// The customer portal (/portal#token=...): exchanges the app-portal token in the fragment for a
// session cookie, removes the token from the address bar and history at once, and shows that
// one application (app_view.js). The token never reaches a server log: fragments are not sent.
import { get, login, logout, onSessionExpired, session } from "./api.js";
import { renderApp } from "./app_view.js";
import { h, notice, replace } from "./dom.js";

const view = document.getElementById("view");
const error = document.getElementById("portal-error");
const out = document.getElementById("logout");

function tokenFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  return token;
}

async function start() {
  const token = tokenFromFragment();
  let s = null;
  if (token) {
    try {
      s = await login(token);
    } catch {
      notice(error, "This portal link is no longer valid. Ask for a new one.");
      return;
    }
  } else {
    s = await session();
  }
  if (!s || s.scope !== "app") {
    notice(error, "Open the portal with the link you were given.");
    return;
  }
  onSessionExpired(() => {
    replace(view);
    notice(error, "Your session has ended. Open the portal link again.");
  });
  out.classList.remove("hidden");
  out.addEventListener("click", async () => {
    await logout().catch(() => {});
    replace(view);
    out.classList.add("hidden");
    notice(error, "Logged out.", "ok");
  });
  try {
    const app = await get(["app", s.appId]);
    replace(document.getElementById("app-name"), app.name);
  } catch {
    // the name is a courtesy; the views below report their own errors
  }
  await renderApp(view, s.appId, s.capabilities ?? []);
}

start().catch((e) => notice(error, e.message ?? String(e)));
replace(view, h("p", { class: "muted" }, "Loading…"));
