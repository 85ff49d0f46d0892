// What the console's browser tests run against: a real `hookgate serve` (SQLite, loopback,
// config in a temp dir, quick retries, [console] on) with two GitHub-signed sources routed to two
// destinations on a loopback receiver, which answers each path with the status the test sets.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const STDERR_KEPT = 64 * 1024;

export const GITHUB_SECRET = "console-e2e-github-secret";

export async function startHookgate(binary, admin, receiver) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hookgate-console-"));
  const config = path.join(dir, "hookgate.toml");
  fs.writeFileSync(
    config,
    `[server]
listen = "127.0.0.1:0"
max_connections_per_ip = 4096
max_pending_writes = 65536
[store]
url = "sqlite://hookgate.db"
[delivery]
schedule = [1, 1]
jitter = 0
lease_seconds = 5
[[source]]
name = "github"
path = "/in/github"
scheme = "github"
secrets = ["${GITHUB_SECRET}"]
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "X-Evil"]
[[source]]
name = "shop"
path = "/in/shop"
scheme = "github"
secrets = ["${GITHUB_SECRET}"]
event_type_from = "header:X-GitHub-Event"
[[destination]]
name = "orders"
url = "${receiver.url("orders")}"
sign = "none"
timeout_ms = 2000
[[destination]]
name = "flaky"
url = "${receiver.url("flaky")}"
sign = "none"
timeout_ms = 2000
[[route]]
from = "github"
to = ["orders"]
[[route]]
from = "shop"
to = ["flaky"]
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = 2000
[api]
enabled = true
admin_keys = ["${admin}"]
[console]
enabled = true
`,
  );
  const child = spawn(binary, ["serve", "--config", config], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  process.on("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(1));
  let stderr = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hookgate did not start in 20 s:\n${stderr}`)), 20_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`hookgate exited (${code}) before listening:\n${stderr}`));
    });
    child.stderr.on("data", (chunk) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
      const m = /listening on http:\/\/[^\s]+:(\d+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Records each request to /r/<name>; answers status[name] (200 unless set).
export async function startReceiver() {
  const received = [];
  const status = {};
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= 1 << 20) chunks.push(chunk);
    });
    req.on("end", () => {
      const name = req.url.replace(/^\/r\//, "");
      received.push({ name, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status[name] ?? 200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    received,
    status,
    url: (name) => `http://127.0.0.1:${port}/r/${name}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

// GitHub's signature header over body.
export function githubSignature(body) {
  return "sha256=" + crypto.createHmac("sha256", GITHUB_SECRET).update(body).digest("hex");
}

// Polls predicate until truthy or timeoutMs passes (then false).
export async function eventually(predicate, timeoutMs = 15_000, everyMs = 50) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await predicate();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
