// Applications (outbound): the list, then one application's endpoints, messages with their
// fan-out and attempts per endpoint (app_view.js), and a portal link for its customers.
import { get, post } from "../api.js";
import { renderApp } from "../app_view.js";
import { button, h, notice, replace, table, time } from "../dom.js";

export function appsPage(view, [appId]) {
  let live = true;
  (async () => {
    if (appId) {
      const app = await get(["app", appId]);
      const link = h("div", { class: "result" });
      const inner = h("div", {});
      replace(view,
        h("a", { href: "#/apps", class: "link" }, "← Applications"),
        h("h1", {}, app.name, " ", h("span", { class: "muted" }, app.id)),
        h("div", { class: "actions" }, button("Portal link for its customers", async () => {
          try {
            const access = await post(["auth", "app-portal-access", app.id], {});
            replace(link, h("p", {}, "Send this link (valid 7 days) to the application's customer:"),
              h("code", { class: "secret-value" }, access.url));
          } catch (e) {
            notice(link, e.message);
          }
        })),
        link, inner);
      if (live) await renderApp(inner, app.id);
      return;
    }
    const page = await get(["app"], { limit: 250 });
    if (!live) return;
    replace(view, h("h1", {}, "Applications"),
      page.data.length === 0 ? h("p", { class: "muted" }, "No applications yet (create them through /api/v1).") :
        table([
          ["Name", (a) => a.name],
          ["Id", (a) => a.id],
          ["Uid", (a) => a.uid ?? ""],
          ["Created", (a) => time(a.createdAt)],
        ], page.data, (a) => {
          location.hash = `#/apps/${encodeURIComponent(a.id)}`;
        }));
  })().catch((e) => notice(view, e.message));
  return () => {
    live = false;
  };
}
