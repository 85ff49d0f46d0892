// Self-test of contract.mjs against the real document: a documented answer passes, and each kind
// of violation is reported (so the contract test cannot pass by checking nothing).
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { openApiContract } from "./contract.mjs";

const spec = fileURLToPath(new URL("../../docs/openapi.yaml", import.meta.url));
const c = openApiContract(spec);
const url = (p) => new URL(`http://127.0.0.1:1/api/v1${p}`);
c.check("GET", url("/app/app_x"), 404, JSON.stringify({ code: "not_found", detail: "no application app_x" }));
assert.deepEqual(c.violations, []);
c.check("GET", url("/app/app_x"), 404, JSON.stringify({ code: "not_found", message: "old shape" }));
c.check("GET", url("/no/such/path"), 200, "{}");
c.check("PUT", url("/api-key"), 200, "{}");
c.check("GET", url("/app"), 299, "{}");
c.check("GET", url("/app"), 200, "not json");
assert.equal(c.violations.length, 5, c.violations.join("\n"));
for (const [i, want] of ["must have required property .detail.", "path not in the document", "method not documented", "status not documented", "not JSON"].entries()) {
  assert.match(c.violations[i], new RegExp(want), c.violations[i]);
}
assert.equal(c.checked, 6);
console.log("contract self-test: ok");
