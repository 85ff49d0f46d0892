// A runnable receiver for a Hookgate endpoint with payload encryption: it verifies each delivery
// with the official Standard Webhooks verifier, THEN opens the sealed box inside the signed JSON
// envelope, and prints one JSON line per accepted delivery on stdout.
//
//   npm ci
//   node receiver.mjs keygen     # prints {"publicKey": ..., "secretKey": ...} (base64 X25519)
//   # register the endpoint with "encryptionKey": <publicKey>, then:
//   WEBHOOK_SECRET=whsec_... SEALED_BOX_SECRET_KEY=<secretKey> PORT=8000 node receiver.mjs
//
// Output per delivery: {"id": <webhook-id>, "contentType": <payload type>, "payload": <text>}.
// Answers 204 when accepted, 400 when the signature or the envelope is refused (with the reason
// on stderr; nothing is printed on stdout), 413 above MAX_BODY_BYTES. With an Ed25519 endpoint,
// Standard Webhooks' JavaScript library has no v1a verifier: use an HMAC (whsec_) endpoint here.
import http from "node:http";
import sodium from "libsodium-wrappers";
import { Webhook } from "standardwebhooks";

const MAX_BODY_BYTES = 4 << 20; // a sealed 1 MiB payload in base64 is about 1.4 MiB
const ENVELOPE_TYPE = "hookgate.sealed";
const ALGORITHM = "x25519-sealedbox";

await sodium.ready;

if (process.argv[2] === "keygen") {
  const pair = sodium.crypto_box_keypair();
  console.log(
    JSON.stringify({
      publicKey: sodium.to_base64(pair.publicKey, sodium.base64_variants.ORIGINAL),
      secretKey: sodium.to_base64(pair.privateKey, sodium.base64_variants.ORIGINAL),
    }),
  );
  process.exit(0);
}

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`set ${name}`);
    process.exit(2);
  }
  return value;
}

const webhook = new Webhook(required("WEBHOOK_SECRET"));
const secretKey = sodium.from_base64(required("SEALED_BOX_SECRET_KEY"), sodium.base64_variants.ORIGINAL);
if (secretKey.length !== sodium.crypto_box_SECRETKEYBYTES) {
  console.error("SEALED_BOX_SECRET_KEY is not a 32-byte X25519 secret key");
  process.exit(2);
}
const publicKey = sodium.crypto_scalarmult_base(secretKey);

// Throws with the reason when the delivery must be refused. The signature is checked over the
// body exactly as received, before anything in it is trusted or decrypted.
function accept(headers, body) {
  webhook.verify(body, headers);
  const envelope = JSON.parse(body);
  // This endpoint registered a key: a plain (unsealed) body is refused, not passed on.
  if (envelope?.type !== ENVELOPE_TYPE || envelope.alg !== ALGORITHM || typeof envelope.sealed !== "string") {
    throw new Error("not a hookgate.sealed envelope");
  }
  const box = sodium.from_base64(envelope.sealed, sodium.base64_variants.ORIGINAL);
  const opened = sodium.crypto_box_seal_open(box, publicKey, secretKey);
  return {
    id: headers["webhook-id"],
    contentType: envelope.contentType,
    payload: new TextDecoder("utf-8", { fatal: false }).decode(opened),
  };
}

const server = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on("data", (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (res.writableEnded) return;
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const delivery = accept(req.headers, body);
      console.log(JSON.stringify(delivery));
      res.writeHead(204).end();
    } catch (e) {
      console.error(`refused ${req.headers["webhook-id"] ?? "(no id)"}: ${e.message}`);
      res.writeHead(400).end();
    }
  });
});
server.requestTimeout = 10_000;
server.listen(Number(process.env.PORT ?? 8000), process.env.HOST ?? "127.0.0.1", () => {
  console.error(`listening on ${server.address().port}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
