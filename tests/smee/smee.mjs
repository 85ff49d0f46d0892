// The unmodified smee-client CLI (3.1.1, pinned in package-lock.json: the newest that runs on
// Debian 12's node 18; 4.x and 5.x need node 20.18) pointed at a Hookgate stream's
// capability URL forwards provider-signed events to a local receiver: in order, headers and
// JSON bodies intact, Hookgate's own group never a large header, and after the gateway restarts
// the client's EventSource reconnects with Last-Event-ID and nothing is missing.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const binary = process.env.HOOKGATE;
const secret = "smee-interop-secret";
const capability = randomBytes(32).toString("hex");
const deadlineMs = 60_000;

function fail(message) {
  console.error(`FAIL ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, predicate) {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`timed out waiting for ${what}`);
}

function startGateway(config) {
  const child = spawn(binary, ["serve", "--config", config], { stdio: ["ignore", "ignore", "pipe"] });
  child.stderrText = "";
  child.stderr.on("data", (d) => (child.stderrText += d));
  return child;
}

async function stopGateway(child) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function post(port, body, delivery) {
  const signature = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  const res = await fetch(`http://127.0.0.1:${port}/in/github`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-github-delivery": delivery,
      "x-hub-signature-256": signature,
    },
    body,
  });
  if (res.status !== 200) fail(`gateway answered ${res.status} to ${delivery}`);
}

const dir = mkdtempSync(join(tmpdir(), "hookgate-smee-"));
const received = [];
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    received.push({ url: req.url, headers: req.headers, body });
    res.end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const target = `http://127.0.0.1:${receiver.address().port}/webhook`;

const port = await freePort();
const config = join(dir, "hookgate.toml");
writeFileSync(
  config,
  `[server]
listen = "127.0.0.1:${port}"
[store]
url = "sqlite://smee.db"
[streams]
retry_ms = 500
[[source]]
name = "github"
scheme = "github"
secrets = ["${secret}"]
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"]
stream_capability = "${capability}"
`,
);

let gateway = startGateway(config);
let smee;
try {
  await until("the gateway to listen", () => gateway.stderrText.includes("listening on"));
  const smeeBin = fileURLToPath(new URL("node_modules/smee-client/bin/smee.js", import.meta.url));
  smee = spawn(process.execPath, [smeeBin, "--url", `http://127.0.0.1:${port}/stream/github/${capability}`, "--target", target], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let smeeText = "";
  smee.stdout.on("data", (d) => (smeeText += d));
  smee.stderr.on("data", (d) => (smeeText += d));
  await until("smee-client to connect", () => smeeText.includes("Connected"));

  // Whitespace in the provider's bytes: smee-client re-encodes the parsed body, so the bytes
  // (and with them the provider's signature) do not survive; the JSON value does.
  const sent = [];
  for (let i = 1; i <= 3; ++i) {
    const body = JSON.stringify({ n: i, text: "é \u2603", nested: { a: [1, 2, 3] } }, null, 2);
    sent.push(body);
    await post(port, body, `smee-${i}`);
  }
  await until("three forwarded events", () => received.length >= 3);

  // The gateway restarts under the connected client; an event accepted before the client is
  // back is delivered on its reconnection (Last-Event-ID), then live ones.
  await stopGateway(gateway);
  gateway = startGateway(config);
  await until("the gateway to listen again", () => gateway.stderrText.includes("listening on"));
  const more = JSON.stringify({ n: 4 });
  sent.push(more);
  await post(port, more, "smee-4");
  await until("the event accepted across the restart", () => received.length >= 4);
  const live = JSON.stringify({ n: 5 });
  sent.push(live);
  await post(port, live, "smee-5");
  await until("the live event after the restart", () => received.length >= 5);
  await new Promise((r) => setTimeout(r, 500));

  if (received.length !== 5) fail(`expected 5 forwarded events, got ${received.length}`);
  received.forEach((r, i) => {
    const n = i + 1;
    if (r.url !== "/webhook") fail(`event ${n} went to ${r.url}`);
    if (JSON.stringify(JSON.parse(r.body)) !== JSON.stringify(JSON.parse(sent[i])))
      fail(`event ${n}: body ${r.body} is not the JSON sent`);
    if (r.headers["x-github-event"] !== "push") fail(`event ${n}: x-github-event missing`);
    if (r.headers["x-github-delivery"] !== `smee-${n}`) fail(`event ${n}: delivery id ${r.headers["x-github-delivery"]}`);
    for (const [name, value] of Object.entries(r.headers)) {
      if (String(value).length > 1024) fail(`event ${n}: header ${name} is ${String(value).length} bytes`);
    }
    if (r.headers["x-hookgate"] !== undefined && r.headers["x-hookgate"] !== "[object Object]")
      fail(`event ${n}: x-hookgate header ${r.headers["x-hookgate"]}`);
  });
  if (received[0].body === sent[0]) fail("expected smee-client to re-encode the body (docs say it does)");
  console.log("ok smee-client 3.1.1 forwarded 5 events in order across a gateway restart");
} finally {
  if (smee) smee.kill("SIGTERM");
  if (gateway.exitCode === null) await stopGateway(gateway);
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
