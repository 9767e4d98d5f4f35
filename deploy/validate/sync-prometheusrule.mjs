// Writes k8s/base/prometheusrule.yaml from deploy/prometheus/rules/omni-rules.yml (the single source of the rules):
//   node deploy/validate/sync-prometheusrule.mjs          (validate-manifests.mjs fails when they differ)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const rulesPath = join(root, "deploy/prometheus/rules/omni-rules.yml");
export const prometheusRulePath = join(root, "k8s/base/prometheusrule.yaml");

export function renderPrometheusRule() {
  const rules = YAML.parse(readFileSync(rulesPath, "utf8"));
  const resource = {
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: {
      name: "omni",
      labels: { "app.kubernetes.io/name": "omni", "app.kubernetes.io/component": "monitoring" },
    },
    spec: { groups: rules.groups },
  };
  return "# Generated from deploy/prometheus/rules/omni-rules.yml by deploy/validate/sync-prometheusrule.mjs: edit that\n" +
    "# file (and its promtool tests), then run the script. CI fails when the two differ.\n" +
    YAML.stringify(resource, { lineWidth: 0 });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(prometheusRulePath, renderPrometheusRule());
  console.log(`wrote ${prometheusRulePath}`);
}
