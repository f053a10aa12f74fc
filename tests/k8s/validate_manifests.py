#!/usr/bin/python3
"""Validates k8s/ without a cluster: every file parses, both overlays render with
`kubectl kustomize`, and the rendered objects are consistent with each other and with the code.

Checked for every rendered overlay:
  - every Deployment: grpc readiness/liveness probes on a declared port, requests and limits,
    non-root, read-only root filesystem, no privilege escalation, all capabilities dropped, its
    own ServiceAccount, a Service, a PodDisruptionBudget, an HPA and a NetworkPolicy selecting it;
  - backends are reached through headless Services; the gateway's --*_target values are
    dns:///<svc>-headless.<namespace>.svc.cluster.local:<port> matching a Service port, and that
    host name is in the backend's certificate, so TLS verification succeeds;
  - every INBURGERING_* variable names a flag (ABSL_FLAG) linked into that binary (its own
    directory or common/), listen ports match the container ports, and the config file named by
    --config is a key of the mounted ConfigMap;
  - Secrets are referenced, never committed, and each one referenced is in the example template;
  - every TLS Secret mounted is issued by a cert-manager Certificate.
The JSON configs themselves are parsed into their protos by k8s_config_test (C++).

Usage: validate_manifests.py --repo ROOT [--kubectl PATH]
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

import yaml

# Deployment name -> source directory of its binary (flags come from there and from common/).
SERVICES = {
    "intake-service": "intake-service",
    "matching-service": "matching-service",
    "reporting-service": "reporting-service",
    "gateway": "gateway",
}
BACKENDS = {"intake-service", "matching-service", "reporting-service"}
OVERLAYS = ["dev", "production"]
# Services that must not run more than one replica yet, and why.
SINGLE_REPLICA = {
    "matching-service": "its in-memory index and candidate cache see only the replica's own "
                        "writes and the intake events it applied itself",
}
ENV_PREFIX = "INBURGERING_"


def flags_defined_in(directory):
    """Names of the ABSL_FLAGs defined in the .cc/.h files under `directory`."""
    names = set()
    for path in glob.glob(os.path.join(directory, "**", "*.cc"), recursive=True) + \
            glob.glob(os.path.join(directory, "**", "*.h"), recursive=True):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r"ABSL_FLAG\(\s*[\w:<>]+\s*,\s*(\w+)\s*,", f.read()))
    return names


def selects(selector, labels):
    match = (selector or {}).get("matchLabels", selector or {})
    return bool(match) and all(labels.get(k) == v for k, v in match.items())


def port_of(address):
    return int(address.rsplit(":", 1)[1])


class Rendered:
    """The objects of one rendered overlay, by kind."""

    def __init__(self, name, documents):
        self.name = name
        self.objects = [d for d in documents if d]
        self.namespace = next(o["metadata"]["name"] for o in self.objects
                              if o["kind"] == "Namespace")

    def of_kind(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def named(self, kind, name):
        found = [o for o in self.of_kind(kind) if o["metadata"]["name"] == name]
        return found[0] if found else None


class ManifestTest(unittest.TestCase):
    repo = None
    kubectl = None
    rendered = {}

    @classmethod
    def setUpClass(cls):
        for overlay in OVERLAYS:
            path = os.path.join(cls.repo, "k8s", "overlays", overlay)
            result = subprocess.run([cls.kubectl, "kustomize", path], capture_output=True,
                                    text=True)
            if result.returncode != 0:
                raise AssertionError(f"kubectl kustomize {path} failed:\n{result.stderr}")
            cls.rendered[overlay] = Rendered(overlay, list(yaml.safe_load_all(result.stdout)))
        with open(os.path.join(cls.repo, "k8s", "examples", "secrets.example.yaml")) as f:
            cls.example = {d["metadata"]["name"]: d for d in yaml.safe_load_all(f) if d}
        cls.example_secrets = set(cls.example)

    def deployments(self):
        for overlay, r in self.rendered.items():
            for d in r.of_kind("Deployment"):
                yield overlay, r, d

    def test_every_yaml_file_parses_and_names_its_kind(self):
        files = glob.glob(os.path.join(self.repo, "k8s", "**", "*.yaml"), recursive=True)
        self.assertGreater(len(files), 5)
        for path in files:
            with self.subTest(file=os.path.relpath(path, self.repo)):
                with open(path, encoding="utf-8") as f:
                    documents = [d for d in yaml.safe_load_all(f) if d]
                self.assertTrue(documents, "empty file")
                for d in documents:
                    self.assertIn("apiVersion", d)
                    self.assertIn("kind", d)

    def test_both_overlays_render_the_four_services(self):
        for overlay, r in self.rendered.items():
            with self.subTest(overlay=overlay):
                self.assertEqual({d["metadata"]["name"] for d in r.of_kind("Deployment")},
                                 set(SERVICES))
                for o in r.objects:
                    if o["kind"] != "Namespace":
                        self.assertEqual(o["metadata"].get("namespace"), r.namespace,
                                         f'{o["kind"]}/{o["metadata"]["name"]}')

    def test_every_deployment_has_probes_resources_and_a_locked_down_container(self):
        for overlay, r, d in self.deployments():
            name = d["metadata"]["name"]
            with self.subTest(overlay=overlay, deployment=name):
                pod = d["spec"]["template"]["spec"]
                self.assertTrue(pod["securityContext"]["runAsNonRoot"])
                self.assertNotEqual(pod["securityContext"].get("runAsUser", 0), 0)
                self.assertEqual(pod["securityContext"]["seccompProfile"]["type"],
                                 "RuntimeDefault")
                self.assertFalse(pod.get("automountServiceAccountToken", True))
                self.assertEqual(len(pod["containers"]), 1)
                c = pod["containers"][0]
                declared = {p["containerPort"] for p in c["ports"]}
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    self.assertIn(probe, c)
                    self.assertIn("grpc", c[probe], f"{probe} must be a native grpc probe")
                    self.assertIn(c[probe]["grpc"]["port"], declared)
                for kind in ("requests", "limits"):
                    for resource in ("cpu", "memory"):
                        self.assertIn(resource, c["resources"][kind], f"{kind}.{resource}")
                sc = c["securityContext"]
                self.assertTrue(sc["readOnlyRootFilesystem"])
                self.assertFalse(sc["allowPrivilegeEscalation"])
                self.assertTrue(sc["runAsNonRoot"])
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                self.assertIsNotNone(r.named("ServiceAccount", pod["serviceAccountName"]))
                self.assertEqual(pod["serviceAccountName"], name, "one ServiceAccount each")

    def test_every_deployment_has_a_service_pdb_hpa_and_network_policy(self):
        for overlay, r, d in self.deployments():
            name = d["metadata"]["name"]
            labels = d["spec"]["template"]["metadata"]["labels"]
            self.assertTrue(selects(d["spec"]["selector"], labels))
            container = d["spec"]["template"]["spec"]["containers"][0]
            port_names = {p["name"] for p in container["ports"]}
            with self.subTest(overlay=overlay, deployment=name):
                services = [s for s in r.of_kind("Service") if selects(s["spec"]["selector"],
                                                                        labels)]
                self.assertEqual(len(services), 1, "exactly one Service")
                for p in services[0]["spec"]["ports"]:
                    self.assertIn(p["targetPort"], port_names)
                if name in BACKENDS:
                    self.assertEqual(services[0]["spec"].get("clusterIP"), "None",
                                     "backends are headless: the gateway balances per call")
                    self.assertEqual(services[0]["metadata"]["name"],
                                     name.replace("-service", "") + "-headless")
                pdbs = [p for p in r.of_kind("PodDisruptionBudget")
                        if selects(p["spec"]["selector"], labels)]
                self.assertEqual(len(pdbs), 1, "exactly one PodDisruptionBudget")
                hpas = [h for h in r.of_kind("HorizontalPodAutoscaler")
                        if h["spec"]["scaleTargetRef"]["name"] == name]
                self.assertEqual(len(hpas), 1, "exactly one HorizontalPodAutoscaler")
                self.assertLessEqual(hpas[0]["spec"]["minReplicas"],
                                     hpas[0]["spec"]["maxReplicas"])
                self.assertNotIn("replicas", d["spec"], "the HPA owns the replica count")
                if name in SINGLE_REPLICA:
                    self.assertEqual(hpas[0]["spec"]["maxReplicas"], 1, SINGLE_REPLICA[name])
                elif overlay == "production":
                    self.assertGreaterEqual(hpas[0]["spec"]["minReplicas"], 2,
                                            "production survives the loss of one pod")
                policies = [p for p in r.of_kind("NetworkPolicy")
                            if selects(p["spec"]["podSelector"], labels)
                            and "Ingress" in p["spec"]["policyTypes"]]
                self.assertTrue(policies, "a NetworkPolicy admits its callers")

    def test_only_the_suite_reaches_the_backends(self):
        callers = {"intake-service": {"gateway", "matching-service", "reporting-service"},
                   "matching-service": {"gateway", "reporting-service"},
                   "reporting-service": {"gateway"}}
        for overlay, r in self.rendered.items():
            deny = r.named("NetworkPolicy", "default-deny")
            self.assertIsNotNone(deny)
            self.assertEqual(deny["spec"]["podSelector"], {})
            self.assertEqual(set(deny["spec"]["policyTypes"]), {"Ingress", "Egress"})
            for backend, allowed in callers.items():
                with self.subTest(overlay=overlay, backend=backend):
                    sources = set()
                    for p in r.of_kind("NetworkPolicy"):
                        if not selects(p["spec"]["podSelector"],
                                       {"app.kubernetes.io/name": backend}):
                            continue
                        for rule in p["spec"].get("ingress", []):
                            self.assertIn("from", rule, "a backend is never open to all")
                            for peer in rule["from"]:
                                self.assertEqual(set(peer), {"podSelector"})
                                sources.add(peer["podSelector"]["matchLabels"]
                                            ["app.kubernetes.io/name"])
                    self.assertEqual(sources, allowed)

    def test_only_the_suite_reaches_mysql(self):
        for overlay, r in self.rendered.items():
            with self.subTest(overlay=overlay):
                egress = r.named("NetworkPolicy", "mysql-egress")
                self.assertIsNotNone(egress)
                self.assertEqual(egress["spec"]["podSelector"]["matchLabels"],
                                 {"inburgering.nl/mysql-client": "true"})
                for _, _, d in [x for x in self.deployments() if x[0] == overlay]:
                    self.assertEqual(d["spec"]["template"]["metadata"]["labels"]
                                     .get("inburgering.nl/mysql-client"), "true")
                mariadb = r.named("NetworkPolicy", "mariadb")
                if mariadb is not None:  # operator-managed, in the namespace
                    peers = mariadb["spec"]["ingress"][0]["from"]
                    self.assertIn({"podSelector": {"matchLabels":
                                                   {"inburgering.nl/mysql-client": "true"}}},
                                  peers)

    def test_every_environment_variable_names_a_flag_of_that_binary(self):
        common = flags_defined_in(os.path.join(self.repo, "common"))
        for overlay, r, d in self.deployments():
            name = d["metadata"]["name"]
            own = flags_defined_in(os.path.join(self.repo, SERVICES[name]))
            with self.subTest(overlay=overlay, deployment=name):
                self.assertTrue(own, f"no ABSL_FLAG found in {SERVICES[name]}/")
                env = d["spec"]["template"]["spec"]["containers"][0]["env"]
                for var in env:
                    if not var["name"].startswith(ENV_PREFIX):
                        continue
                    flag = var["name"][len(ENV_PREFIX):].lower()
                    self.assertIn(flag, own | common,
                                  f'{var["name"]}: no --{flag} in {SERVICES[name]}/ or common/')
                self.assertEqual(len({v["name"] for v in env}), len(env), "duplicate variable")

    def test_listen_addresses_match_the_declared_ports(self):
        for overlay, r, d in self.deployments():
            c = d["spec"]["template"]["spec"]["containers"][0]
            env = {v["name"]: v.get("value") for v in c["env"]}
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            with self.subTest(overlay=overlay, deployment=d["metadata"]["name"]):
                self.assertEqual(port_of(env["INBURGERING_LISTEN"]), ports["grpc"])
                self.assertEqual(port_of(env["INBURGERING_HEALTH_LISTEN"]), ports["health"])
                for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                    self.assertEqual(c[probe]["grpc"]["port"], ports["health"])
                if "http" in ports:
                    self.assertEqual(port_of(env["INBURGERING_HTTP_LISTEN"]), ports["http"])
                # Off loopback the code requires TLS (common/tls.cc): all three files are set.
                for flag in ("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"):
                    self.assertIn(ENV_PREFIX + flag, env)

    def test_targets_are_headless_dns_names_the_certificates_cover(self):
        target = re.compile(r"^dns:///([a-z-]+)\.\$\(POD_NAMESPACE\)\.svc\.cluster\.local:(\d+)$")
        for overlay, r, d in self.deployments():
            c = d["spec"]["template"]["spec"]["containers"][0]
            env = {v["name"]: v for v in c["env"]}
            targets = {k: v["value"] for k, v in env.items() if k.endswith("_TARGET")}
            with self.subTest(overlay=overlay, deployment=d["metadata"]["name"]):
                if targets:
                    self.assertEqual(env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"],
                                     "metadata.namespace")
                    names = [v["name"] for v in c["env"]]
                    self.assertLess(names.index("POD_NAMESPACE"),
                                    min(names.index(k) for k in targets),
                                    "$(POD_NAMESPACE) expands only after its definition")
                for var, value in targets.items():
                    m = target.match(value)
                    self.assertIsNotNone(m, f"{var}={value}")
                    service = r.named("Service", m.group(1))
                    self.assertIsNotNone(service, f"{var}: no Service {m.group(1)}")
                    self.assertEqual(service["spec"].get("clusterIP"), "None")
                    self.assertIn(int(m.group(2)), [p["port"] for p in service["spec"]["ports"]])
                    host = f"{m.group(1)}.{r.namespace}.svc.cluster.local"
                    covered = [x for x in r.of_kind("Certificate")
                               if host in x["spec"].get("dnsNames", [])]
                    self.assertEqual(len(covered), 1, f"{host} in no certificate")
                if d["metadata"]["name"] == "gateway":
                    self.assertEqual({k[len(ENV_PREFIX):] for k in targets},
                                     {"INTAKE_TARGET", "MATCHING_TARGET", "REPORTING_TARGET"})

    def test_tls_secrets_come_from_certificates_and_config_from_configmaps(self):
        for overlay, r, d in self.deployments():
            pod = d["spec"]["template"]["spec"]
            c = pod["containers"][0]
            env = {v["name"]: v.get("value") for v in c["env"]}
            mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
            issued = {x["spec"]["secretName"] for x in r.of_kind("Certificate")}
            with self.subTest(overlay=overlay, deployment=d["metadata"]["name"]):
                for m in c["volumeMounts"]:
                    self.assertTrue(m.get("readOnly") or m["mountPath"] == "/tmp", m["name"])
                for v in pod["volumes"]:
                    if "secret" in v:
                        self.assertIn(v["secret"]["secretName"], issued | self.example_secrets,
                                      "a Secret volume comes from a Certificate or the template")
                for flag in ("TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"):
                    path = env[ENV_PREFIX + flag]
                    volume = next(n for n, p in mounts.items() if path.startswith(p + "/"))
                    secret = next(v for v in pod["volumes"] if v["name"] == volume)["secret"]
                    self.assertIn(secret["secretName"], issued)
                config = env[ENV_PREFIX + "CONFIG"]
                volume = next(n for n, p in mounts.items() if config.startswith(p + "/"))
                cm_name = next(v for v in pod["volumes"] if v["name"] == volume)["configMap"]
                cm = r.named("ConfigMap", cm_name["name"])
                self.assertIsNotNone(cm, cm_name)
                self.assertIn(os.path.basename(config), cm["data"])
                for ref in [v["valueFrom"] for v in c["env"] if "valueFrom" in v]:
                    if "configMapKeyRef" in ref:
                        cm = r.named("ConfigMap", ref["configMapKeyRef"]["name"])
                        self.assertIsNotNone(cm, ref)
                        self.assertIn(ref["configMapKeyRef"]["key"], cm["data"])

    def test_secrets_are_referenced_never_committed(self):
        example = self.example
        for value in [v for d in example.values() for v in d.get("stringData", {}).values()]:
            self.assertIn("PLACEHOLDER", value, "the example holds placeholders only")
        for overlay, r in self.rendered.items():
            with self.subTest(overlay=overlay):
                self.assertEqual(r.of_kind("Secret"), [], "no Secret in the manifests")
                referenced = set()
                for _, _, d in [x for x in self.deployments() if x[0] == overlay]:
                    for v in d["spec"]["template"]["spec"]["containers"][0]["env"]:
                        if "secretKeyRef" in v.get("valueFrom", {}):
                            referenced.add((v["valueFrom"]["secretKeyRef"]["name"],
                                            v["valueFrom"]["secretKeyRef"]["key"]))
                for o in r.objects:  # operator CRs that reference Secrets
                    for field in ("passwordSecretKeyRef", "rootPasswordSecretKeyRef"):
                        ref = o.get("spec", {}).get(field)
                        if ref:
                            referenced.add((ref["name"], ref["key"]))
                self.assertTrue(referenced)
                for _, _, d in [x for x in self.deployments() if x[0] == overlay]:
                    for v in d["spec"]["template"]["spec"]["volumes"]:
                        name = v.get("secret", {}).get("secretName")
                        if name and name in self.example:
                            referenced.update((name, k) for k in self.example[name]["stringData"])
                for name, key in referenced:
                    self.assertIn(name, example, f"{name} missing from secrets.example.yaml")
                    self.assertIn(key, example[name]["stringData"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--kubectl", default="kubectl")
    args, rest = parser.parse_known_args()
    kubectl = shutil.which(args.kubectl)
    if kubectl is None:
        sys.exit("kubectl not found: this test renders the overlays with `kubectl kustomize`. "
                 "Install kubectl (with its built-in kustomize) on this machine; it is on the "
                 "project's machine image.")
    ManifestTest.repo = os.path.abspath(args.repo)
    ManifestTest.kubectl = kubectl
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
