// A stand-in for Asana's API as `hookgate establish asana` uses it (POST /api/1.0/webhooks):
// it checks the bearer token, makes the handshake to the target while the create call is in
// flight (X-Hook-Secret, which the target must echo), then answers 201 with the webhook and the
// same X-Hook-Secret, or 400 when the target did not echo it, as Asana documents. The target is
// on [server] public_url; the stand-in reaches it at the gateway's loopback address instead, as
// a proxy in front of the gateway would. It stops twice on the way ("armed": the call arrived,
// the window is armed; "consumed": the handshake was answered) until the test lets it go on, so
// the console can be looked at in each state.
import crypto from "node:crypto";
import http from "node:http";

const MAX_BODY = 64 * 1024;

function gate() {
  let open;
  const opened = new Promise((resolve) => (open = resolve));
  return { opened, open };
}

export async function startAsana(gatewayUrl, token) {
  const secret = crypto.randomBytes(32).toString("hex");
  const gid = String(1_200_000_000_000 + crypto.randomInt(1_000_000_000));
  const stages = {};
  for (const name of ["armed", "consumed"]) stages[name] = { reached: gate(), go: gate() };
  const targets = [];
  const handshakes = [];

  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on("end", async () => {
      const answer = (status, body, headers = {}) =>
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
      try {
        if (req.method !== "POST" || req.url !== "/api/1.0/webhooks") {
          return answer(404, { errors: [{ message: "Not found" }] });
        }
        if (req.headers.authorization !== `Bearer ${token}`) {
          return answer(401, { errors: [{ message: "Not Authorized" }] });
        }
        const target = JSON.parse(Buffer.concat(chunks).toString("utf8")).data.target;
        targets.push(target);
        stages.armed.reached.open();
        await stages.armed.go.opened;
        const u = new URL(target);
        const shook = await fetch(gatewayUrl + u.pathname + u.search, { method: "POST", headers: { "X-Hook-Secret": secret } });
        handshakes.push(shook.status);
        const echoed = shook.headers.get("x-hook-secret");
        stages.consumed.reached.open();
        await stages.consumed.go.opened;
        if (!shook.ok || echoed !== secret) {
          return answer(400, { errors: [{ message: "The remote server did not respond with the handshake secret." }] });
        }
        return answer(201, { data: { gid, resource: { gid: "8675309", name: "Bugs" }, target, active: true } },
          { "x-hook-secret": secret });
      } catch (e) {
        return answer(500, { errors: [{ message: String(e.message ?? e) }] });
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    apiBase: `http://127.0.0.1:${server.address().port}/api/1.0`,
    secret,
    gid,
    targets,
    handshakes,
    // Resolves when the create call reaches stage ("armed" or "consumed").
    reached: (stage) => stages[stage].reached.opened,
    // Lets the create call go on past stage.
    go: (stage) => stages[stage].go.open(),
    // Lets everything through (when a check fails half-way, the establish command still ends).
    release() {
      for (const s of Object.values(stages)) s.go.open();
    },
    close: () => new Promise((r) => server.close(r)),
  };
}

// Asana's X-Hook-Signature over body: HMAC-SHA256 with the webhook's secret, hex.
export function asanaSignature(secret, body) {
  return crypto.createHmac("sha256", secret).update(body).digest("hex");
}
