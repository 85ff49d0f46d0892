// Drives a real `hookgate serve` through the official `svix` npm client, unmodified: only
// serverUrl and a token are given (plus the API contract checker as the client's `fetch`, which
// passes every request through untouched and checks each answer against docs/openapi.yaml).
// Every delivery the loopback receiver gets must verify with the svix `Webhook` verifier and carry
// the message id the API returned as `webhook-id`; refused input (through the client and raw) must
// be a clear 4xx with Svix's error body and store nothing. The sealed-payload example
// (examples/sealed-receiver) runs as a process and receives a real delivery.
//
// Run through run.sh; HOOKGATE is the binary. Prints "ok"/"FAIL" per call and ends with
// "N passed, M failed" (exit 1 when any failed). Every check runs even when an earlier one failed.
import { spawn, spawnSync } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { eventually, startHookgate, startReceiver } from "../lib/hookgate.mjs";
import { openApiContract } from "../contract/contract.mjs";

// svix 2.x reads the global `crypto` (auto idempotency keys); Debian 12's node 18 has it only here.
globalThis.crypto ??= (await import("node:crypto")).webcrypto;
const { ApiException, Svix, Webhook } = await import("svix");

const HOOKGATE = process.env.HOOKGATE;
if (!HOOKGATE) throw new Error("set HOOKGATE to the hookgate binary");
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const ADMIN = "svix-e2e-admin-" + crypto.randomBytes(12).toString("hex");
const DEADLINE_MS = Number(process.env.SVIX_E2E_TIMEOUT_MS ?? 150_000);

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    const detail = e instanceof ApiException ? `HTTP ${e.code} ${JSON.stringify(e.body)}` : e.message;
    console.log(`FAIL ${name}: ${detail}`);
  }
}
function assert(cond, why) {
  if (!cond) throw new Error(why);
}
function need(value, what) {
  if (value === undefined || value === null) throw new Error(`needs ${what} (an earlier call failed)`);
  return value;
}
const validDate = (d) => d instanceof Date && !Number.isNaN(d.getTime());
const isHttpError = (b) => b && typeof b.code === "string" && typeof b.detail === "string";
const isValidationError = (b) =>
  b && Array.isArray(b.detail) && b.detail.length > 0 &&
  b.detail.every((d) => Array.isArray(d.loc) && typeof d.msg === "string" && typeof d.type === "string");

// Expects fn to be refused by the API with `status` and Svix's error body for it.
async function refused(fn, status) {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof ApiException, `not an API error: ${e.message}`);
    assert(e.code === status, `HTTP ${e.code} (wanted ${status}): ${JSON.stringify(e.body)}`);
    const ok = status === 422 ? isValidationError(e.body) : isHttpError(e.body);
    assert(ok, `not Svix's ${status === 422 ? "{detail:[{loc,msg,type}]}" : "{code,detail}"} body: ${JSON.stringify(e.body)}`);
    return e.body;
  }
  throw new Error(`accepted (wanted ${status})`);
}

const gateway = await startHookgate(HOOKGATE, ADMIN);
const receiver = await startReceiver();
const contract = openApiContract(path.join(root, "docs/openapi.yaml"));
const svix = new Svix(ADMIN, { serverUrl: gateway.url, fetch: contract.fetch });
let example = null;
const watchdog = setTimeout(async () => {
  console.log(`FAIL the driver did not finish in ${DEADLINE_MS} ms`);
  example?.kill("SIGKILL");
  await gateway.stop();
  process.exit(1);
}, DEADLINE_MS);

// A raw request (through the contract checker too): {status, body (parsed when JSON), text}.
async function raw(method, p, body, { token = ADMIN, headers = {} } = {}) {
  const r = await contract.fetch(gateway.url + "/api/v1" + p, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let parsed = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the caller looks at text
  }
  return { status: r.status, body: parsed, text };
}

// What each endpoint's deliveries must verify with: every key it has had (the checks after a
// rotation verify with the newest one alone).
const keys = {}; // receiver name -> [whsec_...]
const sentIds = new Set(); // every message id the API returned
const state = {};
const payloads = {
  paid: { id: "in_42", amount: 1050, note: "Grüße, 東京 🎉" },
  second: { id: "in_43", amount: 7 },
};
const ids = (list) => list.data.map((x) => x.id);
const deliveriesOf = (name, msgId) =>
  receiver.received.filter((r) => r.name === name && (msgId === undefined || r.headers["webhook-id"] === msgId));
// The Standard Webhooks headers of a received request.
const pick = (h) => ({ "webhook-id": h["webhook-id"], "webhook-timestamp": h["webhook-timestamp"], "webhook-signature": h["webhook-signature"] });
// Throws unless the delivery verifies with the svix Webhook verifier and this key.
function verifies(delivery, key) {
  new Webhook(key).verify(delivery.body, delivery.headers);
  return true;
}

// ---- applications ------------------------------------------------------------------------------
const appUid = "acme-" + crypto.randomBytes(4).toString("hex");
await check("application.create with uid (201, app_ id, uid kept, ISO dates)", async () => {
  const app = await svix.application.create({ name: "Acme Inc", uid: appUid, metadata: { plan: "gold" } });
  state.app = app;
  assert(app.id?.startsWith("app_"), `id ${app.id}`);
  assert(app.uid === appUid, `uid ${app.uid}`);
  assert(app.name === "Acme Inc", `name ${app.name}`);
  assert(validDate(app.createdAt) && validDate(app.updatedAt), `createdAt ${app.createdAt} updatedAt ${app.updatedAt}`);
});
await check("application.get by uid", async () => {
  const app = await svix.application.get(appUid);
  assert(app.id === need(state.app, "the application").id, `${app.id} != ${state.app.id}`);
});
await check("application.list (data, iterator, done)", async () => {
  await svix.application.create({ name: "Other Corp" }).then((a) => (state.other = a));
  const first = await svix.application.list({ limit: 1 });
  assert(first.data.length === 1 && first.done === false && typeof first.iterator === "string",
    `first page ${JSON.stringify({ n: first.data.length, done: first.done, iterator: first.iterator })}`);
  const second = await svix.application.list({ limit: 1, iterator: first.iterator });
  assert(second.data.length === 1 && second.data[0].id !== first.data[0].id, "the second page repeats the first");
  const all = await svix.application.list({ limit: 250 });
  assert(ids(all).includes(need(state.app, "the application").id) && all.done === true, "the full list");
});

// ---- event types -------------------------------------------------------------------------------
await check("eventType.create, get, list", async () => {
  for (const name of ["invoice.paid", "sealed.test", "flaky.test"]) {
    const t = await svix.eventType.create({ name, description: `${name} events` });
    assert(t.name === name && validDate(t.createdAt), JSON.stringify(t));
  }
  const got = await svix.eventType.get("invoice.paid");
  assert(got.description === "invoice.paid events", `description ${got.description}`);
  const list = await svix.eventType.list();
  const names = list.data.map((t) => t.name);
  assert(["invoice.paid", "sealed.test", "flaky.test"].every((n) => names.includes(n)), `names ${names}`);
});

// ---- endpoints ---------------------------------------------------------------------------------
const suppliedSecret = "whsec_" + crypto.randomBytes(32).toString("base64");
await check("endpoint.create (generated secret, uid, eventTypes filter)", async () => {
  const app = need(state.app, "the application");
  const ep = await svix.endpoint.create(app.id, {
    url: receiver.url("primary"),
    uid: "primary",
    description: "primary",
    eventTypes: ["invoice.paid"],
    metadata: { team: "payments" },
  });
  state.primary = ep;
  assert(ep.id?.startsWith("ep_"), `id ${ep.id}`);
  assert(ep.uid === "primary" && ep.url === receiver.url("primary"), JSON.stringify(ep));
  assert(JSON.stringify(ep.eventTypes) === '["invoice.paid"]', `eventTypes ${JSON.stringify(ep.eventTypes)}`);
  assert(ep.metadata?.team === "payments", `metadata ${JSON.stringify(ep.metadata)}`);
  assert(validDate(ep.createdAt) && validDate(ep.updatedAt), `createdAt ${ep.createdAt}`);
});
await check("endpoint.create with a supplied Standard Webhooks secret; getSecret returns it", async () => {
  const app = need(state.app, "the application");
  const ep = await svix.endpoint.create(app.id, { url: receiver.url("supplied"), secret: suppliedSecret });
  state.supplied = ep;
  const s = await svix.endpoint.getSecret(app.id, ep.id);
  assert(s.key === suppliedSecret, "getSecret is not the secret given at creation");
  keys.supplied = [suppliedSecret];
});
await check("endpoint.getSecret (whsec_ key) and the secret is not echoed by get/list", async () => {
  const app = need(state.app, "the application");
  const ep = need(state.primary, "the endpoint");
  const s = await svix.endpoint.getSecret(app.id, ep.id);
  assert(s.key?.startsWith("whsec_"), `key ${s.key}`);
  keys.primary = [s.key];
  const shown = await raw("GET", `/app/${app.id}/endpoint/${ep.id}`);
  const listed = await raw("GET", `/app/${app.id}/endpoint`);
  assert(shown.status === 200 && listed.status === 200, `get ${shown.status}, list ${listed.status}`);
  assert(!shown.text.includes(s.key) && !listed.text.includes(s.key), "the secret is in a read");
});
await check("endpoint.get by uid, endpoint.list", async () => {
  const app = need(state.app, "the application");
  const ep = await svix.endpoint.get(app.id, "primary");
  assert(ep.id === need(state.primary, "the endpoint").id, `${ep.id}`);
  const list = await svix.endpoint.list(app.id);
  assert(ids(list).includes(ep.id) && ids(list).includes(need(state.supplied, "the 2nd endpoint").id), "list");
});

await check("1.x names on input: filterTypes and rateLimit (raw)", async () => {
  const app = need(state.app, "the application");
  const r = await raw("POST", `/app/${app.id}/endpoint`, { url: receiver.url("legacy"), filterTypes: ["invoice.paid"], rateLimit: 50 });
  assert(r.status === 201, `${r.status} ${r.text}`);
  keys.legacy = [(await svix.endpoint.getSecret(app.id, r.body.id)).key];
  const ep = await svix.endpoint.get(app.id, r.body.id);
  assert(JSON.stringify(ep.eventTypes) === '["invoice.paid"]' && ep.throttleRate === 50,
    `eventTypes ${JSON.stringify(ep.eventTypes)} throttleRate ${ep.throttleRate}`);
});

// ---- messages ----------------------------------------------------------------------------------
const eventId = "evt_" + crypto.randomBytes(6).toString("hex");
await check("message.create (202: msg_ id, eventType, eventId, timestamp) by application uid", async () => {
  const msg = await svix.message.create(appUid, { eventType: "invoice.paid", eventId, payload: payloads.paid });
  state.msg = msg;
  sentIds.add(msg.id);
  assert(msg.id?.startsWith("msg_"), `id ${msg.id}`);
  assert(msg.eventType === "invoice.paid" && msg.eventId === eventId, JSON.stringify(msg));
  assert(validDate(msg.timestamp), `timestamp ${msg.timestamp}`);
});
await check("message.create with the same eventId stores one message", async () => {
  const first = need(state.msg, "the first message");
  let again = null;
  try {
    again = await svix.message.create(appUid, { eventType: "invoice.paid", eventId, payload: payloads.paid });
  } catch (e) {
    // Svix answers 409 for a repeated eventId; a gateway may also answer with the stored message.
    assert(e instanceof ApiException && e.code === 409 && isHttpError(e.body), `refused with ${e.code} ${JSON.stringify(e.body)}`);
  }
  if (again) assert(again.id === first.id, `a second message ${again.id} (first ${first.id})`);
  const list = await svix.message.list(appUid, { limit: 250 });
  const same = list.data.filter((m) => m.eventId === eventId);
  assert(same.length === 1, `${same.length} messages with eventId ${eventId}`);
});
await check("delivery of the message: webhook-id is the API's id and svix Webhook verifies it", async () => {
  const msg = need(state.msg, "the message");
  const got = await eventually(() => deliveriesOf("primary", msg.id).length >= 1 && deliveriesOf("supplied", msg.id).length >= 1);
  const seen = receiver.received.map((r) => `${r.name}:${r.headers["webhook-id"]}`);
  assert(got, `no delivery with webhook-id ${msg.id} at both endpoints; received ${JSON.stringify(seen.slice(0, 6))}`);
  const d = deliveriesOf("primary", msg.id)[0];
  verifies(d, need(keys.primary?.[0], "the endpoint's key"));
  verifies(deliveriesOf("supplied", msg.id)[0], suppliedSecret);
  assert(JSON.stringify(JSON.parse(d.body)) === JSON.stringify(payloads.paid), `body ${d.body}`);
});
await check("message.get and message.list (pagination by iterator)", async () => {
  const msg = need(state.msg, "the message");
  const second = await svix.message.create(state.app.id, { eventType: "invoice.paid", payload: payloads.second });
  sentIds.add(second.id);
  state.second = second;
  // The client asks for with_content=false unless told otherwise (Svix then answers payload {}).
  const got = await svix.message.get(state.app.id, msg.id, { withContent: true });
  assert(got.id === msg.id && got.eventType === "invoice.paid", JSON.stringify(got));
  assert(JSON.stringify(got.payload) === JSON.stringify(payloads.paid), `payload ${JSON.stringify(got.payload)}`);
  const page = await svix.message.list(state.app.id, { limit: 1 });
  assert(page.data.length === 1 && page.done === false && page.iterator, `page ${JSON.stringify({ n: page.data.length, done: page.done })}`);
  const next = await svix.message.list(state.app.id, { limit: 1, iterator: page.iterator });
  assert(next.data.length === 1 && next.data[0].id !== page.data[0].id, "the next page repeats the first");
  assert(new Set([...ids(page), ...ids(next)]).size === 2 && [...ids(page), ...ids(next)].every((i) => sentIds.has(i)),
    "the two pages are not the two messages");
});

await check("channels: an endpoint gets only messages of its channels", async () => {
  const app = need(state.app, "the application");
  const ep = await svix.endpoint.create(app.id, { url: receiver.url("channels"), channels: ["eu"] });
  keys.channels = [(await svix.endpoint.getSecret(app.id, ep.id)).key];
  assert(JSON.stringify(ep.channels) === '["eu"]', `channels ${JSON.stringify(ep.channels)}`);
  const us = await svix.message.create(app.id, { eventType: "flaky.test", channels: ["us"], payload: { region: "us" } });
  sentIds.add(us.id);
  const eu = await svix.message.create(app.id, { eventType: "flaky.test", channels: ["eu"], payload: { region: "eu" } });
  sentIds.add(eu.id);
  assert(JSON.stringify(eu.channels) === '["eu"]', `message channels ${JSON.stringify(eu.channels)}`);
  assert(await eventually(() => deliveriesOf("channels", eu.id).length >= 1), "the eu message was not delivered");
  const attempts = await svix.messageAttempt.listByMsg(app.id, us.id);
  assert(deliveriesOf("channels", us.id).length === 0 && !attempts.data.some((a) => a.endpointId === ep.id),
    "the us message went to the eu endpoint");
});

// ---- attempts ----------------------------------------------------------------------------------
await check("messageAttempt.listByMsg (responseStatusCode 200, status Success, ids)", async () => {
  const msg = need(state.msg, "the message");
  const list = await eventually(async () => {
    const l = await svix.messageAttempt.listByMsg(state.app.id, msg.id);
    return l.data.length >= 2 ? l : null;
  });
  assert(list, "fewer than two attempts recorded");
  const endpointIds = new Set(ids(await svix.endpoint.list(state.app.id, { limit: 250 })));
  for (const a of list.data) {
    assert(a.id?.startsWith("atmpt_"), `attempt id ${a.id}`);
    assert(a.msgId === msg.id, `msgId ${a.msgId}`);
    assert(endpointIds.has(a.endpointId), `endpointId ${a.endpointId} is none of the application's`);
    assert(a.responseStatusCode === 200 && a.status === 0, `responseStatusCode ${a.responseStatusCode} status ${a.status}`);
    assert(validDate(a.timestamp), `timestamp ${a.timestamp}`);
  }
});
await check("messageAttempt.listByEndpoint", async () => {
  const ep = need(state.primary, "the endpoint");
  const list = await eventually(async () => {
    const l = await svix.messageAttempt.listByEndpoint(state.app.id, ep.id);
    return l.data.length >= 2 ? l : null; // the first message and the second
  });
  assert(list, "fewer than two attempts for the endpoint");
  assert(list.data.every((a) => a.endpointId === ep.id && sentIds.has(a.msgId)), JSON.stringify(list.data[0]));
});

// ---- rotation ----------------------------------------------------------------------------------
await check("endpoint.rotateSecret (204), getSecret is new, the next delivery verifies with it", async () => {
  const app = need(state.app, "the application");
  const ep = need(state.primary, "the endpoint");
  const old = need(keys.primary?.[0], "the endpoint's key");
  await svix.endpoint.rotateSecret(app.id, ep.id, {});
  const now = (await svix.endpoint.getSecret(app.id, ep.id)).key;
  assert(now?.startsWith("whsec_") && now !== old, "getSecret after rotation is not a new key");
  keys.primary.push(now);
  const msg = await svix.message.create(app.id, { eventType: "invoice.paid", payload: { after: "rotation" } });
  sentIds.add(msg.id);
  assert(await eventually(() => deliveriesOf("primary", msg.id).length >= 1), `no delivery of ${msg.id}`);
  verifies(deliveriesOf("primary", msg.id)[0], now);
  state.rotated = msg;
});

// ---- resend ------------------------------------------------------------------------------------
await check("messageAttempt.resend (202): delivered again, same webhook-id, verifies", async () => {
  const msg = need(state.msg, "the message");
  const ep = need(state.primary, "the endpoint");
  const before = deliveriesOf("primary", msg.id).length;
  await svix.messageAttempt.resend(state.app.id, msg.id, ep.id);
  assert(await eventually(() => deliveriesOf("primary", msg.id).length > before), "no new delivery after resend");
  const again = deliveriesOf("primary", msg.id).at(-1);
  verifies(again, keys.primary.at(-1));
});

// ---- recover -----------------------------------------------------------------------------------
await check("endpoint.recover (202) resends what failed since T; stats count it", async () => {
  const app = need(state.app, "the application");
  receiver.status.flaky = 500;
  const ep = await svix.endpoint.create(app.id, { url: receiver.url("flaky"), eventTypes: ["flaky.test"] });
  keys.flaky = [(await svix.endpoint.getSecret(app.id, ep.id)).key];
  const since = new Date(Date.now() - 1000);
  const msg = await svix.message.create(app.id, { eventType: "flaky.test", payload: { flaky: true } });
  sentIds.add(msg.id);
  // The schedule is 4 attempts a second apart; then the delivery is failed.
  const failedOut = await eventually(async () => {
    const l = await svix.messageAttempt.listByEndpoint(app.id, ep.id);
    return l.data.filter((a) => a.msgId === msg.id).length >= 4 ? l : null;
  }, 20_000);
  assert(failedOut, `not 4 recorded attempts; received ${deliveriesOf("flaky", msg.id).length}`);
  assert(failedOut.data.every((a) => a.responseStatusCode === 500 && a.status === 2),
    `attempts ${JSON.stringify(failedOut.data.map((a) => [a.responseStatusCode, a.status]))}`);
  const failedStats = await eventually(async () => ((await svix.endpoint.getStats(app.id, ep.id)).fail >= 1 ? true : null), 5_000);
  assert(failedStats, `stats ${JSON.stringify(await svix.endpoint.getStats(app.id, ep.id).catch((e) => e.code))}`);
  receiver.status.flaky = 200;
  const before = deliveriesOf("flaky", msg.id).length;
  const out = await svix.endpoint.recover(app.id, ep.id, { since });
  assert(typeof out.id === "string" && typeof out.status === "string", `recover answered ${JSON.stringify(out)}`);
  assert(await eventually(() => deliveriesOf("flaky", msg.id).length > before), "nothing delivered after recover");
  verifies(deliveriesOf("flaky", msg.id).at(-1), keys.flaky[0]);
  const stats = await eventually(async () => {
    const s = await svix.endpoint.getStats(app.id, ep.id);
    return s.success >= 1 ? s : null;
  });
  assert(stats, "stats never counted the recovered message as a success");
});
await check("endpoint.getStats (success, fail, pending, sending numbers)", async () => {
  const s = await svix.endpoint.getStats(need(state.app, "the application").id, need(state.primary, "the endpoint").id);
  for (const k of ["success", "fail", "pending", "sending"]) assert(Number.isInteger(s[k]), `${k}: ${s[k]}`);
  assert(s.success >= 3, `success ${s.success} (three messages delivered)`);
});

// ---- app-portal access -------------------------------------------------------------------------
await check("authentication.appPortalAccess: url and a token scoped to the application", async () => {
  const app = need(state.app, "the application");
  const access = await svix.authentication.appPortalAccess(app.id, {});
  assert(typeof access.url === "string" && access.url.length > 0, `url ${access.url}`);
  assert(typeof access.token === "string" && access.token.length > 0, "no token");
  const scoped = new Svix(access.token, { serverUrl: gateway.url, fetch: contract.fetch });
  const mine = await scoped.endpoint.list(app.id);
  assert(ids(mine).includes(need(state.primary, "the endpoint").id), "the token cannot list its application's endpoints");
  const other = need(state.other, "the other application");
  try {
    await scoped.endpoint.list(other.id);
    throw new Error("the application's token read another application");
  } catch (e) {
    assert(e instanceof ApiException && [401, 403, 404].includes(e.code) && isHttpError(e.body),
      `another application: ${e.code ?? e.message} ${JSON.stringify(e.body)}`);
  }
});

// ---- sealed payloads: the runnable example receives a real delivery -------------------------------
await check("sealed payload: the svix verifier accepts the envelope; examples/sealed-receiver verifies, then opens", async () => {
  const app = need(state.app, "the application");
  const dir = path.join(root, "examples/sealed-receiver");
  const keygen = spawnSync("node", ["receiver.mjs", "keygen"], { cwd: dir, encoding: "utf8", timeout: 20_000 });
  assert(keygen.status === 0, `keygen: ${keygen.stderr}`);
  const pair = JSON.parse(keygen.stdout);
  const secret = "whsec_" + crypto.randomBytes(32).toString("base64");
  example = spawn("node", ["receiver.mjs"], {
    cwd: dir,
    env: { ...process.env, WEBHOOK_SECRET: secret, SEALED_BOX_SECRET_KEY: pair.secretKey, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  process.on("exit", () => example.exitCode === null && example.kill("SIGKILL"));
  const lines = [];
  let errors = "";
  example.stdout.on("data", (c) => lines.push(...String(c).split("\n").filter(Boolean)));
  const port = await new Promise((resolve) => {
    example.stderr.on("data", (c) => {
      errors += c;
      const m = /listening on (\d+)/.exec(errors);
      if (m) resolve(Number(m[1]));
    });
    example.on("exit", () => resolve(0));
  });
  assert(port > 0, `the example did not start: ${errors}`);
  // encryptionKey is Hookgate's addition: not in the client's EndpointIn, so sent raw.
  const made = [];
  for (const [url, s] of [[`http://127.0.0.1:${port}/hooks`, secret], [receiver.url("sealed"), suppliedSecret]]) {
    const r = await raw("POST", `/app/${app.id}/endpoint`, { url, secret: s, encryptionKey: pair.publicKey });
    assert(r.status === 201, `creating an encrypting endpoint: ${r.status} ${r.text}`);
    made.push(r.body.id);
  }
  keys.sealed = [suppliedSecret];
  const payload = { card: "4242", text: "Grüße 🎉" };
  const msg = await svix.message.create(app.id, { eventType: "sealed.test", payload });
  sentIds.add(msg.id);
  assert(await eventually(() => deliveriesOf("sealed", msg.id).length >= 1 && lines.length >= 1),
    `sealed deliveries: receiver ${deliveriesOf("sealed", msg.id).length}, example ${lines.length}; ${errors}`);
  const d = deliveriesOf("sealed", msg.id)[0];
  verifies(d, suppliedSecret);
  assert(d.headers["content-type"] === "application/json" && d.headers["webhook-encryption"] === "x25519-sealedbox",
    `headers ${d.headers["content-type"]} ${d.headers["webhook-encryption"]}`);
  assert(!d.body.includes("4242"), "the payload is readable in the sealed body");
  const opened = JSON.parse(lines[0]);
  assert(opened.id === msg.id, `the example saw webhook-id ${opened.id}, the API said ${msg.id}`);
  assert(opened.contentType === "application/json", `contentType ${opened.contentType}`);
  assert(JSON.stringify(JSON.parse(opened.payload)) === JSON.stringify(payload), `opened ${opened.payload}`);
  // The example refuses what was not signed for it: a real envelope (its box opens with the
  // example's key) signed for another endpoint, and a correctly signed but unsealed body.
  const example_url = `http://127.0.0.1:${port}/hooks`;
  const post = (body, headers) => fetch(example_url, { method: "POST", body, headers });
  const real = deliveriesOf("sealed", msg.id)[0];
  const forged = await post(real.body, pick(real.headers));
  const ts = new Date();
  const plain = JSON.stringify(payload);
  const unsealed = await post(plain, {
    "webhook-id": "msg_plain",
    "webhook-timestamp": String(Math.floor(ts.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign("msg_plain", ts, plain),
  });
  assert(forged.status === 400 && unsealed.status === 400, `the example accepted: forged ${forged.status}, unsealed ${unsealed.status}`);
  assert(lines.length === 1, `the example printed ${lines.length} deliveries`);
  example.kill("SIGTERM");
});

// ---- refused input: clear 4xx, Svix's error body, nothing stored ----------------------------------
async function counts() {
  const app = need(state.app, "the application");
  const [apps, eps, msgs] = await Promise.all([
    svix.application.list({ limit: 250 }),
    svix.endpoint.list(app.id, { limit: 250 }),
    svix.message.list(app.id, { limit: 250 }),
  ]);
  return JSON.stringify({ apps: apps.data.length, endpoints: eps.data.length, messages: msgs.data.length });
}
await check("refused through the client: 422/404/401 with Svix's bodies, nothing stored", async () => {
  const app = need(state.app, "the application");
  const before = await counts();
  const problems = [];
  const attempt = async (what, fn, status) => {
    try {
      await refused(fn, status);
    } catch (e) {
      problems.push(`${what}: ${e.message}`);
    }
  };
  await attempt("message without eventType", () => svix.message.create(app.id, { payload: { a: 1 } }), 422);
  await attempt("endpoint with url 'not a url'", () => svix.endpoint.create(app.id, { url: "not a url" }), 422);
  await attempt("endpoint at the metadata address", () => svix.endpoint.create(app.id, { url: "http://169.254.169.254/latest/meta-data" }), 422);
  await attempt("application without a name", () => svix.application.create({ name: "" }), 422);
  await attempt("unknown application", () => svix.application.get("app_doesnotexist"), 404);
  await attempt("unknown message", () => svix.message.get(app.id, "msg_doesnotexist"), 404);
  await attempt("wrong token", () => new Svix("not-a-key", { serverUrl: gateway.url }).application.list(), 401);
  const after = await counts();
  if (before !== after) problems.push(`stored anyway: before ${before}, after ${after}`);
  assert(problems.length === 0, problems.join("; "));
});
await check("refused raw: malformed JSON 400, wrong types 422 with loc, no token 401; nothing stored", async () => {
  const app = need(state.app, "the application");
  const before = await counts();
  const problems = [];
  const expect = (what, r, status, shape) => {
    if (r.status !== status || !shape(r.body)) problems.push(`${what}: ${r.status} ${r.text.slice(0, 200)}`);
  };
  expect("malformed JSON", await raw("POST", `/app/${app.id}/msg`, '{"eventType":'), 400, isHttpError);
  const typed = await raw("POST", `/app/${app.id}/msg`, { eventType: 5, payload: {} });
  expect("eventType: 5", typed, 422, isValidationError);
  if (typed.status === 422 && !typed.body?.detail?.some?.((d) => d.loc?.includes("eventType")))
    problems.push(`eventType: 5 does not name the field: ${typed.text}`);
  expect("endpoint url: 42", await raw("POST", `/app/${app.id}/endpoint`, { url: 42 }), 422, isValidationError);
  expect("no token", await raw("GET", "/app", undefined, { token: "" }), 401, isHttpError);
  expect("unknown application", await raw("POST", "/app/app_doesnotexist/msg", { eventType: "a.b", payload: {} }), 404, isHttpError);
  const after = await counts();
  if (before !== after) problems.push(`stored anyway: before ${before}, after ${after}`);
  assert(problems.length === 0, problems.join("; "));
});

// ---- every delivery ----------------------------------------------------------------------------
await check("every delivery received verifies with the svix Webhook verifier and carries an API message id", async () => {
  assert(receiver.received.length > 0, "nothing was received");
  const bad = [];
  for (const d of receiver.received) {
    const candidates = keys[d.name] ?? [];
    if (!candidates.some((k) => { try { return verifies(d, k); } catch { return false; } })) {
      bad.push(`${d.name} ${d.headers["webhook-id"]}: does not verify`);
    }
    if (!sentIds.has(d.headers["webhook-id"])) bad.push(`${d.name} ${d.headers["webhook-id"]}: not an id the API returned`);
  }
  assert(bad.length === 0, `${bad.length} of ${receiver.received.length} deliveries: ${bad.slice(0, 5).join("; ")}`);
});
await check("every /api/v1 answer matches docs/openapi.yaml (contract)", async () => {
  assert(contract.checked > 0, "no answer was checked");
  const unique = [...new Set(contract.violations)];
  assert(unique.length === 0, `${unique.length} violations in ${contract.checked} answers:\n  ${unique.slice(0, 25).join("\n  ")}`);
});

clearTimeout(watchdog);
example?.kill("SIGKILL");
await receiver.close();
await gateway.stop();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
