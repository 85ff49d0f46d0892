// What the console's browser tests run against: the shared gateway harness (tests/lib) with
// [console] on, two GitHub-signed sources routed to two destinations on the loopback receiver,
// and an Asana source (its secret comes from `hookgate establish asana`, which needs public_url).
import crypto from "node:crypto";

import { startHookgate as startGateway } from "../lib/hookgate.mjs";

export { eventually, startReceiver } from "../lib/hookgate.mjs";

export const GITHUB_SECRET = "console-e2e-github-secret";
// Where Asana would call the gateway; the stand-in for Asana's API maps it to the gateway.
export const PUBLIC_URL = "https://hooks.console-e2e.example";

export function startHookgate(binary, admin, receiver) {
  return startGateway(binary, admin, {
    prefix: "hookgate-console-",
    server: `max_connections_per_ip = 4096\nmax_pending_writes = 65536\npublic_url = "${PUBLIC_URL}"`,
    schedule: "[1, 1]",
    // The checks let deliveries fail on their own schedule (e.g. three messages, three attempts
    // each, to one portal endpoint) before they retry, resend and recover: an open circuit would
    // hold those automatic retries back for its cooldown. The operator's retries themselves go
    // through an open circuit as its trial (tests/e2e Outbound.AResendIsTheOpenCircuitsTrial...).
    outbound: "breaker_failures = 1000",
    extra: `[[source]]
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
[[source]]
name = "asana"
path = "/in/asana"
scheme = "asana"
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
[console]
enabled = true`,
  });
}

// GitHub's signature header over body.
export function githubSignature(body) {
  return "sha256=" + crypto.createHmac("sha256", GITHUB_SECRET).update(body).digest("hex");
}
