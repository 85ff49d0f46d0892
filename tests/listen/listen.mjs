// `hookgate listen` with the providers' official SDKs on the developer's side: GitHub-signed
// deliveries go through a real `hookgate serve` and its stream to `hookgate listen`, which
// forwards them to a local node server; there @octokit/webhooks-methods (5.1.1, pinned in
// package-lock.json: the newest line that runs on Debian 12's node 18) verifies GitHub's original
// X-Hub-Signature-256 on the received bytes, and the bytes are compared with what the provider
// sent. listen is then killed (SIGKILL) and restarted: nothing is missing. With --sign, the
// official standardwebhooks library (1.1.1) verifies the re-signed deliveries.
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verify as verifyGithub } from "@octokit/webhooks-methods";
import { Webhook } from "standardwebhooks";

const binary = process.env.HOOKGATE;
const secret = "listen-interop-" + randomBytes(8).toString("hex");
const token = randomBytes(24).toString("hex");
const whsec = "whsec_" + randomBytes(24).toString("base64");
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
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`timed out waiting for ${what}`);
}

function start(args, env = {}) {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  child.text = "";
  child.stdout.on("data", (d) => (child.text += d));
  child.stderr.on("data", (d) => (child.text += d));
  return child;
}

async function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await exited;
}

const dir = mkdtempSync(join(tmpdir(), "hookgate-listen-"));
const port = await freePort();
const config = join(dir, "hookgate.toml");
writeFileSync(
  config,
  `[server]
listen = "127.0.0.1:${port}"
[store]
url = "sqlite://listen.db"
[streams]
retry_ms = 300
[[source]]
name = "github"
scheme = "github"
secrets = ["${secret}"]
pull_token = "${token}"
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "Content-Type"]
event_type_from = "header:X-GitHub-Event"
`,
);

// The local server: raw bytes kept, GitHub's signature checked with GitHub's own library.
const received = [];
const receiver = createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks);
    const entry = { headers: req.headers, body, github: false, standard: false };
    const signature = req.headers["x-hub-signature-256"];
    if (signature) entry.github = await verifyGithub(secret, body.toString("utf8"), signature);
    if (req.headers["webhook-signature"]) {
      try {
        new Webhook(whsec).verify(body.toString("utf8"), req.headers);
        entry.standard = true;
      } catch {
        entry.standard = false;
      }
    }
    received.push(entry);
    res.end("ok");
  });
});
await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
const target = `http://127.0.0.1:${receiver.address().port}/webhook`;

const sent = new Map();
async function post(n) {
  // Bytes a re-encoding would change: spacing, escapes, number spelling, non-ASCII.
  const body = `{ "n" : ${n},\n  "text": "caf\\u00e9 ☃", "amount": 1.50e3, "nested": {"a": [ 1,2 ]} }`;
  const delivery = `listen-${n}`;
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
  sent.set(delivery, Buffer.from(body, "utf8"));
}

const env = { HG_TOKEN: token, XDG_STATE_HOME: join(dir, "state") };
const listenArgs = ["listen", "--url", `http://127.0.0.1:${port}`, "--source", "github", "--token", "env:HG_TOKEN", "--forward-to", target];
const gateway = start(["serve", "--config", config]);
let listen;
try {
  await until("the gateway to listen", () => gateway.text.includes("listening on"));
  listen = start(listenArgs, env);
  await until("listen to connect", () => listen.text.includes("connected"));
  for (let i = 1; i <= 3; ++i) await post(i);
  await until("three forwarded events", () => received.length >= 3);

  await stop(listen, "SIGKILL");
  for (let i = 4; i <= 5; ++i) await post(i);
  listen = start(listenArgs, env);
  await until("the events accepted while listen was down", () => received.length >= 5);

  const seen = new Set();
  for (const r of received) {
    const id = r.headers["x-github-delivery"];
    seen.add(id);
    if (!sent.has(id)) fail(`unexpected delivery ${id}`);
    if (!r.body.equals(sent.get(id))) fail(`${id}: the bytes differ from what the provider sent`);
    if (!r.github) fail(`${id}: @octokit/webhooks-methods did not verify GitHub's signature`);
    if (r.headers["content-type"] !== "application/json") fail(`${id}: content-type ${r.headers["content-type"]}`);
    if (r.headers.authorization !== undefined) fail(`${id}: the token reached the local server`);
  }
  if (seen.size !== 5) fail(`expected 5 distinct deliveries, got ${seen.size}`);
  if (listen.text.includes(token)) fail("listen printed the token");
  await stop(listen, "SIGTERM");

  // --sign: re-signed with Standard Webhooks, verified by the official library.
  const before = received.length;
  listen = start([...listenArgs, "--sign", "env:HG_WHSEC", "--from", "now"], { ...env, HG_WHSEC: whsec });
  await until("listen --sign to connect", () => listen.text.includes("connected"));
  await post(6);
  await until("the re-signed event", () => received.length > before);
  const resigned = received[received.length - 1];
  if (!resigned.standard) fail("standardwebhooks did not verify the re-signed delivery");
  if (!resigned.body.equals(sent.get("listen-6"))) fail("re-signed delivery: the bytes differ");
  console.log(`ok hookgate listen: 5 GitHub deliveries verified by @octokit/webhooks-methods 5.1.1 byte for byte across a SIGKILL (${before - 5} duplicate(s)), --sign verified by standardwebhooks 1.1.1`);
} finally {
  if (listen) await stop(listen, "SIGTERM");
  await stop(gateway, "SIGTERM");
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
