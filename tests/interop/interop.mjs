// Cross-checks `hookgate sign` and `hookgate verify` against providers' official SDKs from npm:
// what an SDK signs must verify with hookgate, and what hookgate signs must verify with the SDK.
// Run through run.sh; HOOKGATE is the path of the binary. Prints "ok"/"FAIL" per case and ends
// with "N passed, M failed".
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import Stripe from "stripe";
import { sign as githubSign, verify as githubVerify } from "@octokit/webhooks-methods";
import twilio from "twilio";
import Razorpay from "razorpay";
import { verifyKey as discordVerify } from "discord-interactions";
import sendgrid from "@sendgrid/eventwebhook";

const HOOKGATE = process.env.HOOKGATE;
if (!HOOKGATE) throw new Error("set HOOKGATE to the hookgate binary");

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.message}`);
  }
}
function assert(cond, why) {
  if (!cond) throw new Error(why);
}

function hookgate(args, input = "") {
  const r = spawnSync(HOOKGATE, args, { input: Buffer.from(input), maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}
// "Name: value" lines -> { name(lowercase): value }.
function parseHeaders(text) {
  const out = {};
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}
function headerArgs(headers) {
  return Object.entries(headers).flatMap(([k, v]) => ["--header", `${k}: ${v}`]);
}
function sign(scheme, secret, body, extra = []) {
  const r = hookgate(["sign", "--scheme", scheme, "--secret", secret, ...extra], body);
  assert(r.code === 0, `hookgate sign exited ${r.code}: ${r.err}`);
  return parseHeaders(r.out);
}
function verify(scheme, keyArgs, headers, body, extra = []) {
  const r = hookgate(["verify", "--scheme", scheme, ...keyArgs, ...headerArgs(headers), ...extra], body);
  assert(r.code === 0, `hookgate verify exited ${r.code}: ${r.err.trim()}`);
  const bad = hookgate(["verify", "--scheme", scheme, ...keyArgs, ...headerArgs(headers), ...extra],
                       body + " ");
  assert(bad.code === 1, `hookgate verify accepted a tampered body (exit ${bad.code})`);
}

const bodies = {
  json: JSON.stringify({ type: "invoice.paid", id: `evt_${crypto.randomUUID()}`, amount: 4200 }),
  unicode: JSON.stringify({ text: "Grüße, 東京, emoji 🎉", n: Math.random() }),
  large: JSON.stringify({ blob: crypto.randomBytes(75 * 1024).toString("base64") }),
};

for (const [label, body] of Object.entries(bodies)) {
  // --- Standard Webhooks (official JS library) ---------------------------------------------
  await check(`standard-webhooks: SDK signs, hookgate verifies (${label})`, () => {
    const secret = "whsec_" + crypto.randomBytes(32).toString("base64");
    const wh = new StandardWebhook(secret);
    const id = "msg_" + crypto.randomUUID();
    const now = new Date();
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": Math.floor(now.getTime() / 1000).toString(),
      "webhook-signature": wh.sign(id, now, body),
    };
    verify("standard-webhooks", ["--secret", secret], headers, body);
  });
  await check(`standard-webhooks: hookgate signs, SDK verifies (${label})`, () => {
    const secret = hookgate(["secret", "--scheme", "standard-webhooks"]).out.match(/secret: (\S+)/)[1];
    const headers = sign("standard-webhooks", secret, body);
    new StandardWebhook(secret).verify(body, headers);  // throws on failure
  });

  // --- Svix -----------------------------------------------------------------------------------
  await check(`svix: SDK signs, hookgate verifies (${label})`, () => {
    const secret = "whsec_" + crypto.randomBytes(24).toString("base64");
    const wh = new SvixWebhook(secret);
    const id = "msg_" + crypto.randomUUID();
    const now = new Date();
    const headers = {
      "svix-id": id,
      "svix-timestamp": Math.floor(now.getTime() / 1000).toString(),
      "svix-signature": wh.sign(id, now, body),
    };
    verify("svix", ["--secret", secret], headers, body);
  });
  await check(`svix: hookgate signs, SDK verifies (${label})`, () => {
    const secret = "whsec_" + crypto.randomBytes(24).toString("base64");
    const headers = sign("svix", secret, body);
    new SvixWebhook(secret).verify(body, headers);
  });

  // --- Stripe ---------------------------------------------------------------------------------
  const stripe = new Stripe("sk_test_interop");
  await check(`stripe: SDK signs, hookgate verifies (${label})`, () => {
    const secret = "whsec_" + crypto.randomBytes(16).toString("hex");
    const header = stripe.webhooks.generateTestHeaderString({ payload: body, secret });
    verify("stripe", ["--secret", secret], { "stripe-signature": header }, body);
  });
  await check(`stripe: hookgate signs, SDK verifies (${label})`, () => {
    const secret = "whsec_" + crypto.randomBytes(16).toString("hex");
    const headers = sign("stripe", secret, body);
    stripe.webhooks.constructEvent(body, headers["stripe-signature"], secret);  // throws
  });

  // --- GitHub (@octokit/webhooks-methods) ------------------------------------------------------
  await check(`github: SDK signs, hookgate verifies (${label})`, async () => {
    const secret = crypto.randomBytes(20).toString("hex");
    const signature = await githubSign(secret, body);
    verify("github", ["--secret", secret], { "x-hub-signature-256": signature }, body);
  });
  await check(`github: hookgate signs, SDK verifies (${label})`, async () => {
    const secret = crypto.randomBytes(20).toString("hex");
    const headers = sign("github", secret, body);
    assert(await githubVerify(secret, body, headers["x-hub-signature-256"]), "octokit said invalid");
  });

  // --- Razorpay ---------------------------------------------------------------------------------
  await check(`razorpay: hookgate signs, SDK verifies (${label})`, () => {
    const secret = crypto.randomBytes(12).toString("hex");
    const headers = sign("razorpay", secret, body);
    assert(Razorpay.validateWebhookSignature(body, headers["x-razorpay-signature"], secret),
           "razorpay said invalid");
  });

  // --- Discord (discord-interactions verifies; keys from hookgate secret) -----------------------
  await check(`discord: hookgate signs, SDK verifies (${label})`, async () => {
    const keys = hookgate(["secret", "--scheme", "discord"]).out;
    const privateKey = keys.match(/private_key: (\S+)/)[1];
    const publicKey = keys.match(/public_key: (\S+)/)[1];
    const fs = await import("node:fs");
    const path = `/tmp/hookgate-interop-${process.pid}.key`;
    fs.writeFileSync(path, privateKey);
    const r = hookgate(["sign", "--scheme", "discord", "--key", path], body);
    fs.unlinkSync(path);
    assert(r.code === 0, r.err);
    const h = parseHeaders(r.out);
    assert(await discordVerify(body, h["x-signature-ed25519"], h["x-signature-timestamp"], publicKey),
           "discord-interactions said invalid");
  });
}

// --- Twilio (official helper library) -----------------------------------------------------------
const authToken = crypto.randomBytes(16).toString("hex");
const url = "https://example.com/twilio/sms?source=interop";
const params = { From: "+14158675309", To: "+18005551212", Body: "Grüße & hello", Digits: "1234" };
const form = new URLSearchParams(params).toString();
await check("twilio form: SDK signs, hookgate verifies", () => {
  const signature = twilio.getExpectedTwilioSignature(authToken, url, params);
  verify("twilio", ["--secret", authToken], { "x-twilio-signature": signature }, form, ["--url", url]);
});
await check("twilio form: hookgate signs, SDK verifies", () => {
  const headers = sign("twilio", authToken, form, ["--url", url]);
  assert(twilio.validateRequest(authToken, headers["x-twilio-signature"], url, params), "twilio said invalid");
});
await check("twilio JSON body: hookgate signs, SDK verifies", () => {
  const body = JSON.stringify({ event: "x", at: Date.now() });
  const hash = crypto.createHash("sha256").update(body).digest("hex");
  const jsonUrl = `${url}&bodySHA256=${hash}`;
  const headers = sign("twilio", authToken, body, ["--url", jsonUrl]);
  assert(twilio.validateRequestWithBody(authToken, headers["x-twilio-signature"], jsonUrl, body),
         "twilio said invalid");
});

// --- SendGrid (official eventwebhook helper verifies) --------------------------------------------
await check("sendgrid: hookgate signs, SDK verifies", async () => {
  const keys = hookgate(["secret", "--scheme", "sendgrid"]).out;
  const privatePem = keys.slice(keys.indexOf("-----BEGIN"), keys.indexOf("-----END PRIVATE KEY-----") + 25) + "\n";
  const publicKey = keys.match(/public_key: (\S+)/)[1];
  const fs = await import("node:fs");
  const path = `/tmp/hookgate-interop-sg-${process.pid}.pem`;
  fs.writeFileSync(path, privatePem);
  const body = JSON.stringify([{ email: "a@example.com", event: "delivered", sg_event_id: crypto.randomUUID() }]) + "\r\n";
  const r = hookgate(["sign", "--scheme", "sendgrid", "--key", path], body);
  fs.unlinkSync(path);
  assert(r.code === 0, r.err);
  const h = parseHeaders(r.out);
  const ew = new sendgrid.EventWebhook();
  const key = ew.convertPublicKeyToECDSA(publicKey);
  assert(ew.verifySignature(key, body, h["x-twilio-email-event-webhook-signature"],
                            h["x-twilio-email-event-webhook-timestamp"]), "sendgrid said invalid");
});

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
