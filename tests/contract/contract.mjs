// The API contract test: a fetch wrapper that checks every /api/v1 answer against
// docs/openapi.yaml, so what the document promises is what the server sends. Used by the drivers
// that speak to a real `hookgate serve` (the svix client accepts a custom `fetch`, so the official
// client stays unmodified while each of its calls is checked).
//
// Checked for every answer: the path and method are documented; the status is one the operation
// documents (or `default`); a JSON answer parses and validates against the documented schema; a
// documented answer without content has an empty body. Violations are collected, not thrown, so
// a driver reports them all at its end.
import fs from "node:fs";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import YAML from "yaml";

const SPEC_ID = "openapi";

function pointer(segments) {
  return "#/" + segments.map((s) => encodeURIComponent(String(s).replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
}

export function openApiContract(specPath, { prefix = "/api/v1" } = {}) {
  const spec = YAML.parse(fs.readFileSync(specPath, "utf8"));
  // OpenAPI 3.0 schemas: `nullable` is understood by Ajv; `example` and friends are annotations.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(spec, SPEC_ID);
  // Literal segments beat templated ones (/msg/precheck before /msg/{msg_id}).
  const templates = Object.keys(spec.paths).map((template) => {
    const names = [];
    const regex = new RegExp(
      "^" +
        template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, (_, name) => {
          names.push(name);
          return "([^/]+)";
        }) +
        "$",
    );
    return { template, regex, params: names.length };
  });
  templates.sort((a, b) => a.params - b.params);
  const validators = new Map();
  const violations = [];
  let checked = 0;

  function resolve(node) {
    let seen = 0;
    while (node && node.$ref && seen++ < 8) {
      const parts = node.$ref.replace(/^#\//, "").split("/");
      node = parts.reduce((n, p) => n?.[p.replace(/~1/g, "/").replace(/~0/g, "~")], spec);
    }
    return node;
  }

  function check(method, url, status, body) {
    const where = `${method} ${url.pathname} -> ${status}`;
    if (!url.pathname.startsWith(prefix)) return;
    checked++;
    const path = url.pathname.slice(prefix.length) || "/";
    const match = templates.find((t) => t.regex.test(path));
    if (!match) return violations.push(`${where}: path not in the document`);
    const operation = spec.paths[match.template][method.toLowerCase()];
    if (!operation) return violations.push(`${where}: method not documented for ${match.template}`);
    const key = operation.responses[String(status)] ? String(status)
      : operation.responses[`${String(status)[0]}XX`] ? `${String(status)[0]}XX`
      : operation.responses.default ? "default" : null;
    if (!key) return violations.push(`${where}: status not documented for ${method} ${match.template}`);
    const response = resolve(operation.responses[key]);
    const media = response?.content?.["application/json"];
    if (!media) {
      if (body.length > 0 && !response?.content) violations.push(`${where}: a body where none is documented`);
      return;
    }
    let value;
    try {
      value = JSON.parse(body);
    } catch {
      return violations.push(`${where}: the body is not JSON: ${body.slice(0, 120)}`);
    }
    // Through the document, so the schema's own $refs resolve against it.
    const ref = operation.responses[key].$ref
      ? `${SPEC_ID}${operation.responses[key].$ref.replace(/^#/, "#")}/content/application~1json/schema`
      : `${SPEC_ID}${pointer(["paths", match.template, method.toLowerCase(), "responses", key, "content", "application/json", "schema"])}`;
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.compile({ $ref: ref });
      validators.set(ref, validate);
    }
    if (!validate(value)) {
      violations.push(`${where}: ${ajv.errorsText(validate.errors, { separator: "; " })}`);
    }
  }

  async function contractFetch(input, init = {}) {
    const response = await fetch(input, init);
    const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
    const method = (init.method ?? (typeof input === "object" && input.method) ?? "GET").toUpperCase();
    const body = await response.clone().text();
    try {
      check(method, url, response.status, body);
    } catch (e) {
      violations.push(`${method} ${url.pathname}: contract check failed: ${e.message}`);
    }
    return response;
  }

  return {
    fetch: contractFetch,
    check,
    violations,
    get checked() {
      return checked;
    },
  };
}
