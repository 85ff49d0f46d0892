// The console's /api/v1 resources (/source, /delivery, /destination, /stats, /establishment)
// checked against docs/openapi.yaml: a real `hookgate serve` (SQLite, loopback) receives a signed
// and a forged request, delivers to a loopback receiver, and every answer of every console
// resource (lists, details, actions, errors) must match what the document promises.
// Run: HOOKGATE=path/to/hookgate node console.mjs (console-run.sh does the npm ci first).
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openApiContract } from "./contract.mjs";

const HOOKGATE = process.env.HOOKGATE;
if (!HOOKGATE) throw new Error("set HOOKGATE to the hookgate binary");
const ADMIN = "contract-console-admin-key-0123456789";
const SECRET = "contract-console-github-secret";
setTimeout(() => {
  console.error("FAIL: deadline");
  process.exit(1);
}, 120_000).unref();

const receiver = http.createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200);
    res.end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookgate-console-contract-"));
const config = path.join(dir, "hookgate.toml");
fs.writeFileSync(
  config,
  `[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://hookgate.db"
[delivery]
schedule = [1]
jitter = 0
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
[api]
enabled = true
admin_keys = ["${ADMIN}"]
[[source]]
name = "github"
path = "/github"
scheme = "github"
secrets = ["${SECRET}"]
keep_headers = ["X-GitHub-Event"]
[[source]]
name = "asana"
path = "/asana"
scheme = "asana"
handshake = "asana"
[[destination]]
name = "svc"
url = "http://127.0.0.1:${receiver.address().port}/in"
sign = "none"
[[route]]
from = "github"
to = ["svc"]
`,
);
const child = spawn(HOOKGATE, ["serve", "--config", config], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
process.on("exit", () => child.exitCode === null && child.kill("SIGKILL"));
let stderr = "";
const port = await new Promise((resolve, reject) => {
  child.on("exit", (code) => reject(new Error(`hookgate exited (${code}):\n${stderr}`)));
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    const m = /listening on http:\/\/[^\s]+:(\d+)/.exec(stderr);
    if (m) resolve(Number(m[1]));
  });
});
const base = `http://127.0.0.1:${port}`;
const spec = fileURLToPath(new URL("../../docs/openapi.yaml", import.meta.url));
const contract = openApiContract(spec);
const api = async (method, p, body) => {
  const r = await contract.fetch(`${base}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json().catch(() => null) };
};
const post = (body, signature) =>
  fetch(`${base}/github`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature },
    body,
  });
const sign = (body) => "sha256=" + crypto.createHmac("sha256", SECRET).update(body).digest("hex");

const failures = [];
const expect = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

const body = JSON.stringify({ hello: "world" });
expect((await post(body, sign(body))).status === 200, "signed event accepted");
expect((await post(body, sign(body))).status === 200, "replay answered (duplicate)");
expect((await post("{}", "sha256=" + "0".repeat(64))).status === 401, "forged request refused");

const sources = await api("GET", "/source");
expect(sources.status === 200 && sources.json.data.length === 2, "GET /source");
const feed = await api("GET", "/source/github/request");
expect(feed.status === 200 && feed.json.data.length === 3, "GET /source/github/request");
for (const row of feed.json.data) {
  const d = await api("GET", `/source/github/request/${row.id}`);
  expect(d.status === 200, `GET request ${row.verdict}`);
}
const accepted = feed.json.data.find((r) => r.verdict === "accepted");
const refused = feed.json.data.find((r) => r.verdict === "refused");
expect((await api("GET", `/source/github/request?iterator=${feed.json.prevIterator}`)).status === 200, "poll newer");
expect((await api("GET", "/source/github/request?verdict=refused&reason=no_match&limit=1")).status === 200, "filtered feed");
expect((await api("GET", "/source/github/request?verdict=nope")).status === 422, "bad filter 422");
expect((await api("GET", "/source/nope/request")).status === 404, "unknown source 404");
expect((await api("POST", `/source/github/request/${refused.id}/deliver`)).status === 409, "deliver refused 409");

let deliveries;
for (let i = 0; i < 200; i++) {
  deliveries = await api("GET", "/delivery?destination=svc");
  if (deliveries.json.data.length === 1 && deliveries.json.data[0].state === "delivered") break;
  await new Promise((r) => setTimeout(r, 100));
}
expect(deliveries.json.data[0]?.state === "delivered", "GET /delivery");
const id = deliveries.json.data[0].id;
expect((await api("GET", `/delivery/${id}`)).status === 200, "GET /delivery/{id}");
expect((await api("GET", `/delivery/${id}/attempt`)).status === 200, "GET /delivery/{id}/attempt");
expect((await api("POST", `/delivery/${id}/retry`)).status === 202, "POST retry");
expect((await api("POST", `/source/github/request/${accepted.id}/deliver`)).status === 202, "POST deliver again");
expect(
  (await api("POST", "/delivery/retry-failed", { destination: "svc", since: "2026-01-01T00:00:00Z" })).status === 202,
  "POST retry-failed",
);
expect((await api("POST", "/delivery/retry-failed", { destination: "svc" })).status === 422, "retry-failed 422");
expect((await api("GET", "/delivery/dlv_1_999")).status === 404, "unknown delivery 404");
expect((await api("GET", "/delivery")).status === 422, "delivery without destination 422");
expect((await api("GET", "/destination")).status === 200, "GET /destination");
expect((await api("GET", "/stats?seconds=60")).status === 200, "GET /stats");
expect((await api("GET", "/destination/svc")).status === 200, "GET /destination/{name}");
const paused = await api("PATCH", "/destination/svc", { disabled: true, reason: "contract" });
expect(paused.status === 200 && paused.json.enabled === false && paused.json.pause?.paused === true, "PATCH pause");
expect((await api("GET", "/destination")).status === 200, "GET /destination (paused)");
const resumed = await api("PATCH", "/destination/svc", { disabled: false });
expect(resumed.status === 200 && resumed.json.enabled === true, "PATCH resume");
expect((await api("PATCH", "/destination/svc", { disabled: "no" })).status === 422, "PATCH 422");
expect((await api("PATCH", "/destination/nope", { disabled: true })).status === 404, "PATCH unknown 404");
const est = await api("GET", "/establishment");
expect(est.status === 200 && est.json.data[0]?.state === "none", "GET /establishment");

for (const v of contract.violations) console.log(`FAIL contract: ${v}`);
console.log(`${contract.checked} answers checked against docs/openapi.yaml`);
child.kill("SIGTERM");
receiver.close();
fs.rmSync(dir, { recursive: true, force: true });
process.exit(failures.length === 0 && contract.violations.length === 0 ? 0 : 1);
