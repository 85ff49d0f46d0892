// The operator console (/console): login with an admin key, then a hash router over the pages
// (pages/*.js). Each page returns a function that stops its timers when another page opens.
import { login, logout, onSessionExpired, session } from "./api.js";
import { h, notice, replace } from "./dom.js";
import { appsPage } from "./pages/apps.js";
import { deliveriesPage } from "./pages/deliveries.js";
import { destinationsPage } from "./pages/destinations.js";
import { establishmentPage } from "./pages/establishment.js";
import { overviewPage } from "./pages/overview.js";
import { sourcesPage } from "./pages/sources.js";

const view = document.getElementById("view");
const form = document.getElementById("login");
const nav = document.getElementById("nav");
const out = document.getElementById("logout");
let stop = () => {};

const PAGES = {
  overview: overviewPage,
  sources: sourcesPage,
  deliveries: deliveriesPage,
  destinations: destinationsPage,
  apps: appsPage,
  establishment: establishmentPage,
};

function route() {
  stop();
  stop = () => {};
  const [name, ...rest] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const page = PAGES[name] ?? PAGES.overview;
  for (const a of nav.querySelectorAll("a")) {
    a.classList.toggle("active", a.getAttribute("href") === `#/${name || "overview"}`);
  }
  replace(view, h("p", { class: "muted" }, "Loading…"));
  try {
    stop = page(view, rest) ?? (() => {});
  } catch (e) {
    notice(view, e.message ?? String(e));
  }
}

function showLogin(message = "") {
  stop();
  replace(view);
  nav.classList.add("hidden");
  out.classList.add("hidden");
  form.classList.remove("hidden");
  notice(document.getElementById("login-error"), message);
  document.getElementById("key").focus();
}

function enter(s) {
  if (s.scope !== "admin") {
    showLogin("This session belongs to an application portal: open /portal instead.");
    return;
  }
  form.classList.add("hidden");
  nav.classList.remove("hidden");
  out.classList.remove("hidden");
  route();
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const key = document.getElementById("key");
  try {
    const s = await login(key.value);
    key.value = "";
    enter(s);
  } catch (e) {
    notice(document.getElementById("login-error"),
      e.status === 429 ? "Too many failed logins: wait a minute." : "That key was not accepted.");
  }
});

out.addEventListener("click", async () => {
  await logout().catch(() => {});
  showLogin("Logged out.");
});

window.addEventListener("hashchange", () => {
  if (!nav.classList.contains("hidden")) route();
});
onSessionExpired(() => showLogin("Your session has ended: log in again."));

session().then((s) => (s ? enter(s) : showLogin())).catch((e) => showLogin(e.message));
