// Validate Kubernetes custom resources against their CRD schemas, offline.
//
// The @kubernetes-models packages ship each CRD's OpenAPI schema compiled into an ajv
// validator (`_schemas/*.js`), not as JSON, so the check runs here in Node. Input on stdin:
// a JSON array of objects. Output on stdout: a JSON array with one entry per object,
// {"object": "<apiVersion>/<kind>/<name>", "errors": ["<path>: <message>", ...]}.
// An object whose group no package covers gets the error "no schema".
import { readFileSync } from "node:fs";

const PACKAGES = {
  "networking.istio.io": "@kubernetes-models/istio",
  "security.istio.io": "@kubernetes-models/istio",
  "telemetry.istio.io": "@kubernetes-models/istio",
  "argoproj.io": "@kubernetes-models/argo-cd",
  "external-secrets.io": "@kubernetes-models/external-secrets",
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

function describe(error) {
  const where = error.instancePath || "/";
  const params = JSON.stringify(error.params ?? {});
  return `${where}: ${error.keyword} ${params}`;
}

async function validate(object) {
  const [group, version] = String(object.apiVersion ?? "").split("/");
  const name = `${object.apiVersion}/${object.kind}/${object.metadata?.name ?? "?"}`;
  const pkg = PACKAGES[group];
  if (!pkg || !version || !object.kind) {
    return { object: name, errors: ["no schema"] };
  }
  let model;
  try {
    model = await import(`${pkg}/${group}/${version}/${object.kind}`);
  } catch {
    return { object: name, errors: ["no schema"] };
  }
  const Model = model[object.kind];
  const instance = new Model(object);
  try {
    instance.validate();
    return { object: name, errors: [] };
  } catch (error) {
    const details = error.errors ?? [{ instancePath: "", keyword: String(error), params: {} }];
    return { object: name, errors: details.map(describe) };
  }
}

const objects = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const object of objects) {
  results.push(await validate(object));
}
process.stdout.write(JSON.stringify(results));
