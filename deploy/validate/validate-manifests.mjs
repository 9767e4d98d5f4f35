// Offline validation of the Kubernetes manifests, for CI (deploy/validate/validate.sh) and by hand:
//   node deploy/validate/validate-manifests.mjs [OVERLAY_DIR ...]      (default: k8s/overlays/cpu k8s/overlays/gpu)
// For every overlay:
//   1. `kubectl kustomize` renders it;
//   2. every rendered object passes its schema (kubernetes-models, @kubernetes-models/prometheus-operator);
//   3. every field name is known: those schemas accept unknown fields, so each object is also type-checked by
//      TypeScript against the packages' typings, whose excess-property check rejects any misspelt field;
//   4. our own cross-reference checks: selectors match pod templates, Services reach named container ports,
//      every ServiceMonitor selects an existing Service with the port it names and keeps pod/replica identity,
//      probes, volumes, PDBs, HPA and NetworkPolicies point at what exists, the security settings hold (TLS: the
//      certificate files mounted, no gRPC probe or h2c Service in front of a TLS port), and the
//      PrometheusRule carries exactly the groups of deploy/prometheus/rules/omni-rules.yml.
// A self-test then breaks copies of the manifests in known ways and requires each check to notice.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import YAML from "yaml";
import { rulesPath, renderPrometheusRule, prometheusRulePath } from "./sync-prometheusrule.mjs";
import { readFileSync } from "node:fs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const overlays = process.argv.slice(2).length ? process.argv.slice(2) : ["k8s/overlays/cpu", "k8s/overlays/gpu", "k8s/overlays/cpu-tls"];
const TLS_OVERLAY = "k8s/overlays/cpu-tls";
const WORKLOADS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);
const STAGES = ["omni-ar-stage", "omni-diffusion-stage", "omni-talker-stage", "omni-code2wav-stage", "omni-video-stage"];

// ---------------------------------------------------------------------------------------------------------------
// Rendering and model lookup
// ---------------------------------------------------------------------------------------------------------------
function render(overlay) {
  const text = execFileSync("kubectl", ["kustomize", join(root, overlay)], { encoding: "utf8" });
  return YAML.parseAllDocuments(text).map((doc) => doc.toJS()).filter((obj) => obj && typeof obj === "object");
}

function modelModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com") return `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

const id = (obj) => `${obj.kind}/${obj.metadata?.namespace ? obj.metadata.namespace + "/" : ""}${obj.metadata?.name}`;

async function schemaErrors(objects) {
  const errors = [];
  for (const obj of objects) {
    let Model;
    try {
      Model = (await import(modelModule(obj.apiVersion, obj.kind)))[obj.kind];
    } catch {
      errors.push(`${id(obj)}: no schema for ${obj.apiVersion} ${obj.kind}`);
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (error) {
      errors.push(`${id(obj)}: schema: ${error.message.split("\n").slice(0, 6).join(" | ")}`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Field names: TypeScript's excess-property check against the packages' typings
// ---------------------------------------------------------------------------------------------------------------
function fieldNameErrors(sets) {
  // sets: [{ label, objects }]; one program, one tsc run; errors are mapped back to label + object.
  const dir = join(here, "node_modules", ".omni-field-check");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const imports = new Map();
  const lines = [];
  const owners = []; // line number (1-based) -> "label: object"
  const body = [];
  let n = 0;
  for (const { label, objects } of sets) {
    for (const obj of objects) {
      const module = modelModule(obj.apiVersion, obj.kind);
      const typeName = `I${obj.kind}`;
      const alias = `T${imports.size}`;
      if (!imports.has(module)) imports.set(module, { alias, typeName });
      const { alias: a } = imports.get(module);
      const json = JSON.stringify(obj, null, 1).split("\n");
      json[0] = `const o${n++}: ${a} = ${json[0]}`;
      json[json.length - 1] += ";";
      for (const line of json) body.push({ line, owner: `${label}: ${id(obj)}` });
    }
  }
  for (const [module, { alias, typeName }] of imports) lines.push(`import type { ${typeName} as ${alias} } from "${module}";`);
  for (let i = 0; i < lines.length; i++) owners.push("imports");
  for (const { line, owner } of body) {
    lines.push(line);
    owners.push(owner);
  }
  lines.push("export {};");
  const file = join(dir, "objects.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  const tsc = join(here, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(process.execPath, [tsc, "--noEmit", "--strict", "--skipLibCheck", "--target", "es2022",
    "--module", "nodenext", "--moduleResolution", "nodenext", "--pretty", "false", file], { encoding: "utf8", cwd: here });
  const errors = [];
  for (const line of (result.stdout + result.stderr).split("\n")) {
    const match = /objects\.ts\((\d+),\d+\): error (TS\d+: .*)/.exec(line);
    if (match) errors.push({ owner: owners[Number(match[1]) - 1] ?? "?", message: `line ${match[1]}: ${match[2]}` });
    else if (line.trim() && !line.includes("objects.ts")) errors.push({ owner: "tsc", message: line.trim() });
  }
  if (result.status !== 0 && errors.length === 0) errors.push({ owner: "tsc", message: `exit ${result.status}` });
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Cross-reference checks
// ---------------------------------------------------------------------------------------------------------------
function selectorMatches(selector, labels = {}) {
  if (!selector) return false;
  const matchLabels = selector.matchLabels ?? {};
  const expressions = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length === 0 && expressions.length === 0) return true; // empty selector: all
  for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of expressions) {
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    if (operator === "In" && !(has && values.includes(labels[key]))) return false;
    if (operator === "NotIn" && has && values.includes(labels[key])) return false;
    if (operator === "Exists" && !has) return false;
    if (operator === "DoesNotExist" && has) return false;
  }
  return true;
}

const mapSelectorMatches = (map, labels = {}) =>
  Object.keys(map ?? {}).length > 0 && Object.entries(map).every(([k, v]) => labels[k] === v);

function containerPortsOf(workload) {
  return (workload.spec.template.spec.containers ?? []).flatMap((c) => c.ports ?? []);
}

function portExists(ports, port) {
  return typeof port === "string" ? ports.some((p) => p.name === port) : ports.some((p) => p.containerPort === port);
}

function crossReferenceErrors(objects, { overlay = "" } = {}) {
  const errors = [];
  const err = (obj, message) => errors.push(`${id(obj)}: ${message}`);
  const ns = (obj) => obj.metadata?.namespace ?? "default";
  const workloads = objects.filter((o) => WORKLOADS.has(o.kind));
  const services = objects.filter((o) => o.kind === "Service");
  const podsSelectedBy = (namespace, selectorFn) =>
    workloads.filter((w) => ns(w) === namespace && selectorFn(w.spec.template.metadata?.labels ?? {}));

  for (const w of workloads) {
    const spec = w.spec;
    const templateLabels = spec.template.metadata?.labels ?? {};
    const podSpec = spec.template.spec;
    if (!selectorMatches(spec.selector, templateLabels)) err(w, "spec.selector does not match the pod template's labels");
    for (const other of workloads) {
      if (other !== w && ns(other) === ns(w) && selectorMatches(spec.selector, other.spec.template.metadata?.labels ?? {}))
        err(w, `spec.selector also matches the pods of ${id(other)}`);
    }
    const volumes = new Set((podSpec.volumes ?? []).map((v) => v.name));
    const podSecurity = podSpec.securityContext ?? {};
    if (podSecurity.runAsNonRoot !== true) err(w, "pod securityContext.runAsNonRoot must be true");
    if (!(podSecurity.runAsUser > 0)) err(w, "pod securityContext.runAsUser must be a non-root uid");
    if (!(spec.template.spec.terminationGracePeriodSeconds > 0)) err(w, "terminationGracePeriodSeconds must be set");
    for (const c of podSpec.containers ?? []) {
      const where = `container ${c.name}`;
      const ports = c.ports ?? [];
      const tlsFiles = (c.env ?? []).filter((e) => /^Tls__(CertificateFile|KeyFile|CaFile)$/.test(e.name));
      const servesTls = tlsFiles.some((e) => e.name === "Tls__CertificateFile" && e.value);
      for (const e of tlsFiles) {
        if (!(c.volumeMounts ?? []).some((m) => String(e.value).startsWith(m.mountPath.replace(/\/?$/, "/"))))
          err(w, `${where}: env ${e.name} (${e.value}) is not under a volumeMount`);
      }
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) err(w, `${where}: readOnlyRootFilesystem must be true`);
      if (sc.allowPrivilegeEscalation !== false) err(w, `${where}: allowPrivilegeEscalation must be false`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) err(w, `${where}: capabilities must drop ALL`);
      if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) err(w, `${where}: needs cpu and memory requests`);
      if (!c.resources?.limits?.memory) err(w, `${where}: needs a memory limit`);
      if (!c.lifecycle?.preStop) err(w, `${where}: needs a preStop hook (drain before SIGTERM)`);
      // The grace period must hold the preStop sleep, the host's drain (shutdownTimeoutSeconds; .NET's default 30 s)
      // and a few seconds to exit, or the kubelet kills the pod mid-drain.
      const sleep = Number((c.lifecycle?.preStop?.exec?.command ?? [])[1] ?? 0);
      const drain = Number((c.env ?? []).find((e) => e.name === "shutdownTimeoutSeconds")?.value ?? 30);
      if (podSpec.terminationGracePeriodSeconds < sleep + drain + 5)
        err(w, `${where}: terminationGracePeriodSeconds ${podSpec.terminationGracePeriodSeconds} is less than preStop ${sleep} s + drain ${drain} s + 5 s`);
      for (const probeName of ["startupProbe", "readinessProbe", "livenessProbe"]) {
        const probe = c[probeName];
        if (!probe) {
          err(w, `${where}: ${probeName} is missing`);
          continue;
        }
        const handler = probe.grpc ?? probe.httpGet ?? probe.tcpSocket;
        if (!handler) err(w, `${where}: ${probeName} has no grpc/httpGet/tcpSocket handler`);
        else if (!portExists(ports, handler.port)) err(w, `${where}: ${probeName} port ${handler.port} is not a container port`);
        // The orchestrator's health answers for the pipeline (NOT_SERVING while a stage has no ready replica): only its
        // readiness may follow it; its startup and liveness ask whether the process serves.
        const processOnly = w.metadata.name === "omni-orchestrator" && (probeName === "startupProbe" || probeName === "livenessProbe");
        if (processOnly && !(probe.httpGet?.port === "metrics" && probe.httpGet?.path === "/healthz"))
          err(w, `${where}: ${probeName} must be GET /healthz on the metrics port (the orchestrator's health follows the stages)`);
        else if (processOnly)
          continue;
        else if (servesTls && probe.grpc)
          err(w, `${where}: ${probeName} uses the gRPC health service, which a Kubernetes probe cannot reach over TLS: probe the metrics port`);
        else if (servesTls && (probeName === "readinessProbe" || probeName === "startupProbe")
          && !(probe.httpGet?.port === "metrics" && probe.httpGet?.path === "/readyz"))
          err(w, `${where}: ${probeName} must be GET /readyz on the metrics port (the gRPC health over plain HTTP)`);
        else if (servesTls && probeName === "livenessProbe" && !(probe.httpGet?.port === "metrics" && ["/healthz", "/readyz"].includes(probe.httpGet?.path)))
          err(w, `${where}: livenessProbe must be GET /healthz or /readyz on the metrics port`);
        else if (!servesTls && (probeName === "readinessProbe" || probeName === "livenessProbe") && !probe.grpc)
          err(w, `${where}: ${probeName} must use the gRPC health service`);
      }
      const mounts = c.volumeMounts ?? [];
      for (const m of mounts) if (!volumes.has(m.name)) err(w, `${where}: volumeMount ${m.name} has no volume`);
      if (!mounts.some((m) => m.mountPath === "/tmp")) err(w, `${where}: needs a writable /tmp (read-only root)`);
      for (const e of c.env ?? []) {
        const field = e.valueFrom?.fieldRef?.fieldPath;
        if (field?.includes("apps.kubernetes.io/pod-index") && w.kind !== "StatefulSet")
          err(w, `${where}: env ${e.name} reads the pod-index label, which only StatefulSet pods have`);
        const resourceRef = e.valueFrom?.resourceFieldRef;
        if (resourceRef?.containerName && !podSpec.containers.some((x) => x.name === resourceRef.containerName))
          err(w, `${where}: env ${e.name} refers to container ${resourceRef.containerName}`);
      }
    }
    if (w.kind === "StatefulSet") {
      const governing = services.find((s) => ns(s) === ns(w) && s.metadata.name === spec.serviceName);
      if (!governing) err(w, `serviceName ${spec.serviceName} is not a Service`);
      else {
        if (governing.spec.clusterIP !== "None") err(w, `serviceName ${spec.serviceName} must be a headless Service`);
        if (!mapSelectorMatches(governing.spec.selector, spec.template.metadata?.labels)) err(w, `Service ${spec.serviceName} does not select its pods`);
      }
      const env = (podSpec.containers ?? []).flatMap((c) => c.env ?? []);
      const replica = env.find((e) => e.name === "Stage__ReplicaId");
      if (replica?.valueFrom?.fieldRef?.fieldPath !== "metadata.labels['apps.kubernetes.io/pod-index']")
        err(w, "Stage__ReplicaId must come from the pod-index label (downward API)");
    }
  }

  for (const s of services) {
    if (!s.spec.selector) continue;
    const selected = podsSelectedBy(ns(s), (labels) => mapSelectorMatches(s.spec.selector, labels));
    if (selected.length === 0) {
      err(s, "selects no pod template");
      continue;
    }
    const tls = selected.some((w) => (w.spec.template.spec.containers ?? []).some((c) => (c.env ?? []).some((e) => e.name === "Tls__CertificateFile" && e.value)));
    for (const p of s.spec.ports ?? []) {
      if (!p.name) err(s, `port ${p.port} has no name`);
      if (tls && p.appProtocol === "kubernetes.io/h2c") err(s, `port ${p.name}: appProtocol kubernetes.io/h2c, but its pods serve TLS`);
      const target = p.targetPort ?? p.port;
      for (const w of selected) if (!portExists(containerPortsOf(w), target)) err(s, `port ${p.name}: target ${target} is not a port of ${id(w)}`);
    }
  }

  for (const sm of objects.filter((o) => o.kind === "ServiceMonitor")) {
    const nsSel = sm.spec.namespaceSelector;
    const namespaces = nsSel?.any ? null : (nsSel?.matchNames ?? [ns(sm)]);
    const selected = services.filter((s) => (namespaces === null || namespaces.includes(ns(s))) && selectorMatches(sm.spec.selector, s.metadata.labels ?? {}));
    if (selected.length === 0) err(sm, "selects no Service");
    if ((sm.spec.endpoints ?? []).length === 0) err(sm, "has no endpoints");
    for (const [i, ep] of (sm.spec.endpoints ?? []).entries()) {
      if (!ep.port) err(sm, `endpoints[${i}] must name a Service port (port:), not targetPort`);
      for (const s of selected) if (!(s.spec.ports ?? []).some((p) => p.name === ep.port)) err(sm, `endpoints[${i}].port "${ep.port}" is not a port of ${id(s)}`);
      if (ep.port !== "metrics") err(sm, `endpoints[${i}] must scrape the port named "metrics"`);
      const targets = new Set((ep.relabelings ?? []).map((r) => r.targetLabel));
      for (const label of ["pod", "replica"]) if (!targets.has(label)) err(sm, `endpoints[${i}]: no relabeling keeps the ${label} label`);
      for (const r of ep.relabelings ?? []) {
        for (const source of r.sourceLabels ?? []) {
          const podLabel = /^__meta_kubernetes_pod_label_(.+)$/.exec(source)?.[1];
          if (!podLabel) continue;
          const controllerLabel = podLabel === "apps_kubernetes_io_pod_index" || podLabel === "statefulset_kubernetes_io_pod_name";
          for (const s of selected) {
            for (const w of podsSelectedBy(ns(s), (labels) => mapSelectorMatches(s.spec.selector, labels))) {
              const known = Object.keys(w.spec.template.metadata?.labels ?? {}).some((k) => k.replace(/[^a-zA-Z0-9_]/g, "_") === podLabel);
              if (!known && !(controllerLabel && w.kind === "StatefulSet") && !(controllerLabel && sm.metadata.name === "omni-orchestrator"))
                err(sm, `relabeling reads pod label ${podLabel}, which the pods of ${id(w)} do not have`);
            }
          }
        }
      }
    }
  }

  for (const pdb of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
    const selected = podsSelectedBy(ns(pdb), (labels) => selectorMatches(pdb.spec.selector, labels));
    if (selected.length !== 1) err(pdb, `selects ${selected.length} workloads (expected 1)`);
    for (const w of selected) {
      const replicas = w.spec.replicas ?? 1;
      if (pdb.spec.minAvailable !== undefined && typeof pdb.spec.minAvailable === "number" && pdb.spec.minAvailable >= replicas && w.kind !== "Deployment")
        err(pdb, `minAvailable ${pdb.spec.minAvailable} with ${replicas} replica(s) blocks every eviction`);
    }
  }

  for (const hpa of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
    const ref = hpa.spec.scaleTargetRef;
    const target = workloads.find((w) => ns(w) === ns(hpa) && w.kind === ref.kind && w.metadata.name === ref.name);
    if (!target) err(hpa, `scaleTargetRef ${ref.kind}/${ref.name} does not exist`);
    else if (target.spec.replicas !== undefined) err(hpa, `${id(target)} sets spec.replicas, which fights the autoscaler`);
    if (hpa.spec.minReplicas > hpa.spec.maxReplicas) err(hpa, "minReplicas > maxReplicas");
    if (target && (hpa.spec.metrics ?? []).some((m) => m.type === "Resource")) {
      for (const c of target.spec.template.spec.containers) {
        for (const m of hpa.spec.metrics.filter((x) => x.type === "Resource"))
          if (!c.resources?.requests?.[m.resource.name]) err(hpa, `container ${c.name} of ${id(target)} has no ${m.resource.name} request to scale on`);
      }
    }
  }

  for (const np of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const selected = podsSelectedBy(ns(np), (labels) => selectorMatches(np.spec.podSelector, labels));
    if (selected.length === 0) err(np, "podSelector selects no pods");
    for (const [i, rule] of (np.spec.ingress ?? []).entries()) {
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector && podsSelectedBy(ns(np), (labels) => selectorMatches(peer.podSelector, labels)).length === 0)
          err(np, `ingress[${i}].from podSelector selects no pods`);
      }
      for (const p of rule.ports ?? []) for (const w of selected) if (!portExists(containerPortsOf(w), p.port)) err(np, `ingress[${i}] port ${p.port} is not a port of ${id(w)}`);
    }
  }
  // Only the orchestrator reaches the stages' gRPC port, and with the direct connector the AR pods reach the
  // diffusion pods' (and must be let through, or every image request fails in the cluster).
  const orchestratorEnv = (workloads.find((x) => x.metadata.name === "omni-orchestrator")?.spec.template.spec.containers ?? []).flatMap((c) => c.env ?? []);
  const direct = orchestratorEnv.some((e) => /^Pipeline__Stages__\d+__Inputs__\d+__Connector$/.test(e.name) && String(e.value).toLowerCase() === "direct");
  const peerName = (peer) => (!peer.namespaceSelector ? peer.podSelector?.matchLabels?.["app.kubernetes.io/name"] : undefined);
  const isGrpc = (rule) => (rule.ports ?? []).length === 0 || rule.ports.some((p) => p.port === "grpc" || [50061, 50062, 50063, 50064, 50065].includes(p.port));
  for (const stage of STAGES) {
    const w = workloads.find((x) => x.metadata.name === stage);
    if (!w) continue;
    const policies = objects.filter((o) => o.kind === "NetworkPolicy" && selectorMatches(o.spec.podSelector, w.spec.template.metadata.labels));
    if (policies.length === 0) err(w, "no NetworkPolicy isolates it");
    const allowed = stage === "omni-diffusion-stage" && direct ? ["omni-orchestrator", "omni-ar-stage"] : ["omni-orchestrator"];
    for (const np of policies) {
      for (const rule of np.spec.ingress ?? []) {
        const onlyAllowed = (rule.from ?? []).length > 0 && rule.from.every((peer) => allowed.includes(peerName(peer)));
        if (isGrpc(rule) && !onlyAllowed) err(np, `lets more than ${allowed.join(" and ")} reach the gRPC port of ${stage}`);
      }
    }
    if (stage === "omni-diffusion-stage" && direct) {
      const admitsAr = policies.some((np) => (np.spec.ingress ?? []).some((rule) => isGrpc(rule) && (rule.from ?? []).some((peer) => peerName(peer) === "omni-ar-stage")));
      if (!admitsAr) err(w, "the orchestrator uses the direct connector, but no NetworkPolicy lets omni-ar-stage pods reach its gRPC port");
    }
  }

  // Every service has a ServiceMonitor and (stages) a PDB.
  for (const name of ["omni-orchestrator", ...STAGES]) {
    if (!objects.some((o) => o.kind === "ServiceMonitor" && o.metadata.name === name)) errors.push(`${name}: no ServiceMonitor`);
    if (!objects.some((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === name)) errors.push(`${name}: no PodDisruptionBudget`);
  }

  const rules = objects.filter((o) => o.kind === "PrometheusRule");
  if (rules.length !== 1) errors.push(`expected one PrometheusRule, found ${rules.length}`);
  const source = YAML.parse(readFileSync(rulesPath, "utf8"));
  for (const r of rules) {
    if (!isDeepStrictEqual(r.spec.groups, source.groups))
      err(r, `spec.groups differ from ${relative(root, rulesPath)}: run node deploy/validate/sync-prometheusrule.mjs`);
  }

  // Overlay-specific expectations.
  const wantsGpu = overlay.endsWith("gpu");
  for (const stage of STAGES) {
    const w = workloads.find((x) => x.metadata.name === stage);
    if (!w) {
      errors.push(`${stage}: missing`);
      continue;
    }
    for (const c of w.spec.template.spec.containers) {
      const gpu = c.resources?.limits?.["nvidia.com/gpu"];
      const device = (c.env ?? []).find((e) => e.name === "Model__Device")?.value;
      if (overlay && wantsGpu && !(Number(gpu) >= 1)) err(w, `container ${c.name}: the gpu overlay must request nvidia.com/gpu`);
      if (overlay && wantsGpu && !String(device).startsWith("cuda")) err(w, `container ${c.name}: the gpu overlay must run on cuda`);
      if (overlay && wantsGpu && !String(c.image).endsWith("-cuda")) err(w, `container ${c.name}: the gpu overlay needs the -cuda image`);
      if (overlay && !wantsGpu && gpu !== undefined) err(w, `container ${c.name}: the cpu overlay must not request GPUs`);
      if (overlay && !wantsGpu && device !== "cpu") err(w, `container ${c.name}: the cpu overlay must run on the cpu`);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------------------------
// Self-test: each check must notice the defect it exists for.
// ---------------------------------------------------------------------------------------------------------------
function mutations(objects) {
  const clone = () => structuredClone(objects);
  const find = (objs, kind, name) => objs.find((o) => o.kind === kind && o.metadata.name === name);
  const cases = [];
  const add = (name, mutate, expect) => {
    const objs = clone();
    mutate(objs, (kind, n) => find(objs, kind, n));
    cases.push({ name, objects: objs, expect });
  };
  add("Service metrics port renamed", (o, f) => { f("Service", "omni-ar-stage").spec.ports[1].name = "http-metrics"; }, /endpoints\[0\]\.port "metrics" is not a port/);
  add("ServiceMonitor selector matches nothing", (o, f) => { f("ServiceMonitor", "omni-diffusion-stage").spec.selector.matchLabels["app.kubernetes.io/name"] = "omni-diffusion"; }, /selects no Service/);
  add("pod template label changed", (o, f) => { f("StatefulSet", "omni-ar-stage").spec.template.metadata.labels["app.kubernetes.io/name"] = "ar"; }, /spec\.selector does not match/);
  add("Service targets a missing container port", (o, f) => { f("Service", "omni-orchestrator").spec.ports[0].targetPort = "rest"; }, /target rest is not a port/);
  add("probe on a wrong port", (o, f) => { f("Deployment", "omni-orchestrator").spec.template.spec.containers[0].readinessProbe.grpc.port = 1234; }, /readinessProbe port 1234/);
  add("orchestrator liveness on the pipeline's health", (o, f) => { f("Deployment", "omni-orchestrator").spec.template.spec.containers[0].livenessProbe = { grpc: { port: 50051 } }; },
    /livenessProbe must be GET \/healthz on the metrics port/);
  add("drain longer than the grace period", (o, f) => { f("StatefulSet", "omni-ar-stage").spec.template.spec.terminationGracePeriodSeconds = 60; },
    /terminationGracePeriodSeconds 60 is less than preStop 15 s \+ drain 100 s/);
  add("replica relabeling dropped", (o, f) => { f("ServiceMonitor", "omni-ar-stage").spec.endpoints[0].relabelings = []; }, /no relabeling keeps the replica label/);
  add("writable root file system", (o, f) => { f("StatefulSet", "omni-diffusion-stage").spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, /readOnlyRootFilesystem must be true/);
  add("NetworkPolicy opens the stages", (o, f) => { f("NetworkPolicy", "omni-stages").spec.ingress[0].from = [{ namespaceSelector: {} }]; }, /lets more than omni-orchestrator reach/);
  add("direct connector without its NetworkPolicy", (o, f) => { o.splice(o.indexOf(f("NetworkPolicy", "omni-direct-transfers")), 1); }, /no NetworkPolicy lets omni-ar-stage pods reach/);
  add("AR pods let into the AR stage", (o, f) => { f("NetworkPolicy", "omni-direct-transfers").spec.podSelector.matchLabels["app.kubernetes.io/name"] = "omni-ar-stage"; }, /lets more than omni-orchestrator reach the gRPC port of omni-ar-stage/);
  add("rule drifted from the rules file", (o, f) => { f("PrometheusRule", "omni").spec.groups[1].rules[0].for = "1m"; }, /spec\.groups differ/);
  return cases;
}

/** Defects of the TLS component, checked on the TLS overlay's objects. */
function tlsMutations(objects) {
  const cases = [];
  const add = (name, mutate, expect) => {
    const objs = structuredClone(objects);
    mutate((kind, n) => objs.find((o) => o.kind === kind && o.metadata.name === n));
    cases.push({ name, objects: objs, expect });
  };
  add("gRPC probe on a TLS port", (f) => { f("StatefulSet", "omni-ar-stage").spec.template.spec.containers[0].readinessProbe = { grpc: { port: 50061 } }; },
    /readinessProbe uses the gRPC health service/);
  add("TLS files not mounted", (f) => { f("Deployment", "omni-orchestrator").spec.template.spec.containers[0].volumeMounts =
    f("Deployment", "omni-orchestrator").spec.template.spec.containers[0].volumeMounts.filter((m) => m.name !== "tls"); }, /Tls__KeyFile .* is not under a volumeMount/);
  add("h2c Service in front of TLS", (f) => { f("Service", "omni-diffusion-stage").spec.ports[0].appProtocol = "kubernetes.io/h2c"; }, /appProtocol kubernetes\.io\/h2c, but its pods serve TLS/);
  return cases;
}

function fieldMutations(objects) {
  const objs = structuredClone(objects);
  const ss = objs.find((o) => o.kind === "StatefulSet");
  ss.spec.template.spec.containers[0].readinesProbe = { grpc: { port: 50061 } }; // misspelt field
  const sm = objs.find((o) => o.kind === "ServiceMonitor");
  sm.spec.endpoints[0].relabelConfigs = []; // a Prometheus name, not the CRD's
  return [ss, sm];
}

// ---------------------------------------------------------------------------------------------------------------
const failures = [];
const fieldSets = [];
let firstRendered = null;
let tlsRendered = null;
for (const overlay of overlays) {
  const objects = render(overlay);
  firstRendered ??= objects;
  if (overlay === TLS_OVERLAY) tlsRendered = objects;
  const kinds = {};
  for (const o of objects) kinds[o.kind] = (kinds[o.kind] ?? 0) + 1;
  console.log(`${overlay}: rendered ${objects.length} objects (${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(", ")})`);
  for (const e of await schemaErrors(objects)) failures.push(`${overlay}: ${e}`);
  for (const e of crossReferenceErrors(objects, { overlay })) failures.push(`${overlay}: ${e}`);
  fieldSets.push({ label: overlay, objects });
}

// The committed PrometheusRule is what the sync script writes.
if (readFileSync(prometheusRulePath, "utf8") !== renderPrometheusRule())
  failures.push(`${relative(root, prometheusRulePath)} is stale: run node deploy/validate/sync-prometheusrule.mjs`);

// One TypeScript run: the real objects must be clean, the self-test's misspelt fields must be caught.
const selfTestFields = fieldMutations(firstRendered);
fieldSets.push({ label: "self-test", objects: selfTestFields });
const fieldErrors = fieldNameErrors(fieldSets);
for (const e of fieldErrors.filter((x) => !x.owner.startsWith("self-test"))) failures.push(`field names: ${e.owner}: ${e.message}`);
for (const word of ["readinesProbe", "relabelConfigs"]) {
  if (!fieldErrors.some((x) => x.owner.startsWith("self-test") && x.message.includes(word)))
    failures.push(`self-test: the field-name check did not reject the unknown field ${word}`);
}
console.log(`field names: ${fieldSets.slice(0, -1).reduce((n, s) => n + s.objects.length, 0)} objects type-checked against the typings`);

let selfTests = 0;
for (const c of mutations(firstRendered)) {
  selfTests++;
  const errors = crossReferenceErrors(c.objects, { overlay: overlays[0] });
  if (!errors.some((e) => c.expect.test(e))) failures.push(`self-test "${c.name}": not detected (got: ${errors.join("; ") || "no errors"})`);
}
for (const c of tlsRendered ? tlsMutations(tlsRendered) : []) {
  selfTests++;
  const errors = crossReferenceErrors(c.objects, { overlay: TLS_OVERLAY });
  if (!errors.some((e) => c.expect.test(e))) failures.push(`self-test "${c.name}": not detected (got: ${errors.join("; ") || "no errors"})`);
}
console.log(`self-test: ${selfTests + 2} deliberate defects, each must be reported`);

if (failures.length > 0) {
  console.error(`\n${failures.length} problem(s):`);
  for (const f of failures) console.error(`  - ${f}`);
  process.exit(1);
}
console.log("manifests OK");
