// What the node drivers (svix client, console browser tests) run against: a real `hookgate serve`
// (SQLite, loopback, config in a temp dir, quick retries, /api/v1 on) and a loopback receiver
// that records every request and answers with the status its test sets per path.
import { spawn } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

const STDERR_KEPT = 64 * 1024;

// Starts the gateway; resolves once it prints its port (bounded). admin: the bootstrap admin key.
// options.server: extra lines of [server]; options.schedule: the retry schedule (TOML array);
// options.outbound: extra lines of [outbound]; options.extra: more TOML tables (sources,
// destinations, routes, [console]); options.prefix: the temp dir's name.
export async function startHookgate(binary, admin, options = {}) {
  const { server = "", schedule = "[1, 1, 1]", outbound = "", extra = "", prefix = "hookgate-" } = options;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const config = path.join(dir, "hookgate.toml");
  fs.writeFileSync(
    config,
    `[server]
listen = "127.0.0.1:0"
${server}
[store]
url = "sqlite://hookgate.db"
[delivery]
schedule = ${schedule}
jitter = 0
lease_seconds = 5
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = 2000
${outbound}
[api]
enabled = true
admin_keys = ["${admin}"]
${extra}
`,
  );
  const child = spawn(binary, ["serve", "--config", config], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  // Never left behind, whatever ends the driver (its watchdog, an exception, run.sh's timeout).
  process.on("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(1));
  let stderr = "";
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hookgate did not start in 20 s:\n${stderr}`)), 20_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`hookgate did not start: ${e.message}`));
    });
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
    // For other hookgate commands on the same store (`hookgate establish`): run them in dir.
    dir,
    config,
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

// Records each request to /r/<name> as {name, headers, body}; answers status[name] (200 unless
// set), echoing a request's X-Hook-Secret when echo[name] is set (an endpoint that passes
// Hookgate's "echo" verification). Bodies above 4 MiB are cut off and answered 413.
export async function startReceiver() {
  const received = [];
  const status = {};
  const echo = {};
  const server = http.createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size <= 4 << 20) chunks.push(chunk);
    });
    req.on("end", () => {
      const name = req.url.replace(/^\/r\//, "");
      received.push({ name, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const headers = { "content-type": "text/plain" };
      if (echo[name] && req.headers["x-hook-secret"]) headers["x-hook-secret"] = req.headers["x-hook-secret"];
      res.writeHead(size > 4 << 20 ? 413 : (status[name] ?? 200), headers).end("ok");
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    received,
    status,
    echo,
    url: (name) => `http://127.0.0.1:${port}/r/${name}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

// Polls predicate (sync or async) every everyMs until it is truthy or timeoutMs passes (then
// false). A call that throws counts as "not yet"; the caller reports what it waited for.
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
