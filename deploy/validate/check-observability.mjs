// Checks the Grafana dashboard and the Prometheus rules against the metric catalog, offline:
//   node deploy/validate/check-observability.mjs
// - the dashboard JSON parses, every panel has a data source and PromQL targets with unique refIds, ids are unique;
// - every vllm:* family that the dashboard, the rules or the rule tests use exists in docs/metrics.md (generated
//   from services/common/Metrics/MetricCatalog.cs), so a renamed metric cannot leave a silent empty panel.
// (The PromQL itself is parsed and evaluated against live containers by tests/Omni.DeploymentTests.)
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const problems = [];
const catalog = new Set([...readFileSync(join(root, "docs/metrics.md"), "utf8").matchAll(/`(vllm:[a-z0-9_:]+)`/g)].map((m) => m[1]));
if (catalog.size < 20) problems.push(`docs/metrics.md lists only ${catalog.size} vllm families`);

function familiesIn(text) {
  return [...text.matchAll(/vllm:[a-z0-9_:]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ""));
}

const dashboards = readdirSync(join(root, "deploy/grafana/dashboards")).filter((f) => f.endsWith(".json"));
let queries = 0;
for (const file of dashboards) {
  const dashboard = JSON.parse(readFileSync(join(root, "deploy/grafana/dashboards", file), "utf8"));
  if (!dashboard.uid || !dashboard.title) problems.push(`${file}: needs uid and title`);
  const ids = new Set();
  for (const panel of dashboard.panels ?? []) {
    if (ids.has(panel.id)) problems.push(`${file}: duplicate panel id ${panel.id}`);
    ids.add(panel.id);
    const g = panel.gridPos ?? {};
    if (!(g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24)) problems.push(`${file}: panel "${panel.title}" has a bad gridPos`);
    if (panel.type === "row") continue;
    if (!panel.datasource?.uid) problems.push(`${file}: panel "${panel.title}" has no data source`);
    const refIds = new Set();
    if (!(panel.targets ?? []).length) problems.push(`${file}: panel "${panel.title}" has no queries`);
    for (const t of panel.targets ?? []) {
      queries++;
      if (!t.expr?.trim()) problems.push(`${file}: panel "${panel.title}" target ${t.refId} has no expr`);
      if (refIds.has(t.refId)) problems.push(`${file}: panel "${panel.title}" repeats refId ${t.refId}`);
      refIds.add(t.refId);
      for (const family of familiesIn(t.expr ?? "")) if (!catalog.has(family)) problems.push(`${file}: panel "${panel.title}" uses ${family}, which docs/metrics.md does not define`);
    }
  }
}
for (const file of ["deploy/prometheus/rules/omni-rules.yml", "deploy/prometheus/rules/omni-rules.test.yml"]) {
  for (const family of familiesIn(readFileSync(join(root, file), "utf8"))) if (!catalog.has(family)) problems.push(`${file}: uses ${family}, which docs/metrics.md does not define`);
}
if (problems.length) {
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`dashboards: ${dashboards.length} (${queries} queries), rules: every vllm family is in the catalog`);
