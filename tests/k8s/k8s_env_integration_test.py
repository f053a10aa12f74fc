#!/usr/bin/python3
"""Boots the four real binaries with exactly the environment the dev overlay gives their pods.

For each Deployment of `kubectl kustomize k8s/overlays/dev` the test builds the container's
environment the way the kubelet would (ConfigMap and Secret references resolved, mounted files
written to a temporary directory) and changes only what a single machine forces:
  - addresses: every listener on 127.0.0.1 with a free port, every dns:/// target to localhost;
  - the database: the test MariaDB, a fresh t_* schema per service;
  - the cert-manager Secrets: a CA and a leaf certificate made here with openssl.
Then it checks that each process starts (flags parsed from the environment, config file loaded,
migrations applied, TLS files read), that its plaintext health port answers SERVING, that its
mTLS port answers a client holding a certificate from the CA and refuses one without, and that
SIGTERM stops it with exit code 0.

Needs the test MariaDB (INBURGERING_TEST_MYSQL_*), kubectl, openssl and the mariadb client.
Usage: k8s_env_integration_test.py --repo ROOT --health_probe PATH intake-service=BIN ...
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

ORDER = ["intake-service", "matching-service", "reporting-service", "gateway"]
PREFIX = "INBURGERING_"
TARGET_OF = {"INTAKE_TARGET": "intake-service", "MATCHING_TARGET": "matching-service",
             "REPORTING_TARGET": "reporting-service"}
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, **kwargs)


def make_pki(directory):
    """A CA and a leaf (server and client use, SAN localhost/127.0.0.1) as cert-manager would
    put them in a TLS Secret: tls.crt, tls.key, ca.crt. Returns the directory."""
    os.makedirs(directory)
    ca_key, ca_crt = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.crt")
    key, csr = os.path.join(directory, "tls.key"), os.path.join(directory, "tls.csr")
    crt, ext = os.path.join(directory, "tls.crt"), os.path.join(directory, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                "extendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n")
    steps = [
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", ca_key],
        ["openssl", "req", "-x509", "-new", "-key", ca_key, "-subj", "/CN=test-ca", "-days", "2",
         "-out", ca_crt],
        ["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key + ".ec"],
        ["openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key + ".ec", "-out", key],
        ["openssl", "req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr],
        ["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
         "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", crt],
    ]
    for step in steps:
        result = run(step)
        if result.returncode != 0:
            raise AssertionError(f"{' '.join(step)}: {result.stderr}")
    return directory


class Stack:
    """The four processes, started from the rendered Deployments."""

    def __init__(self, repo, rendered, binaries, database, workdir):
        self.repo, self.binaries, self.db, self.workdir = repo, binaries, database, workdir
        self.objects = rendered
        with open(os.path.join(repo, "k8s", "examples", "secrets.example.yaml")) as f:
            self.example = {d["metadata"]["name"]: d for d in yaml.safe_load_all(f) if d}
        self.pki = make_pki(os.path.join(workdir, "pki"))
        self.outsider = make_pki(os.path.join(workdir, "outsider-pki"))
        self.ports = {}      # deployment -> {"grpc": port, "health": port, ...}
        self.processes = {}  # deployment -> Popen
        self.schemas = {}

    def issued(self, secret_name):
        return any(o["spec"].get("secretName") == secret_name
                   for o in self.objects if o["kind"] == "Certificate")

    def find(self, kind, name):
        return next(o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name)

    def mount_files(self, name, pod):
        """Writes each mounted volume to workdir/<name>/<volume>; returns {mountPath: dir}."""
        container = pod["containers"][0]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mapping = {}
        for m in container["volumeMounts"]:
            directory = os.path.join(self.workdir, name, m["name"])
            os.makedirs(directory, exist_ok=True)
            volume = volumes[m["name"]]
            if "configMap" in volume:
                data = self.find("ConfigMap", volume["configMap"]["name"])["data"]
                for key, value in data.items():
                    with open(os.path.join(directory, key), "w") as f:
                        f.write(value)
            elif "secret" in volume and self.issued(volume["secret"]["secretName"]):
                for key in ("tls.crt", "tls.key", "ca.crt"):  # as cert-manager writes them
                    shutil.copy(os.path.join(self.pki, key), directory)
            elif "secret" in volume:  # a Secret of examples/secrets.example.yaml: fresh values
                for key in self.example[volume["secret"]["secretName"]]["stringData"]:
                    with open(os.path.join(directory, key), "w") as f:
                        f.write(secrets.token_hex(32))
            mapping[m["mountPath"]] = directory
        return mapping

    def environment(self, name):
        deployment = self.find("Deployment", name)
        pod = deployment["spec"]["template"]["spec"]
        mounts = self.mount_files(name, pod)
        ports = {p["name"]: free_port() for p in pod["containers"][0]["ports"]}
        self.ports[name] = ports
        schema = f"t_k8s{secrets.token_hex(4)}_{name.split('-')[0]}"
        self.schemas[name] = schema
        env = {"PATH": "/usr/bin:/bin"}
        # The runtime settings of a sanitized build (scripts/test-sanitized.sh: where reports go,
        # suppressions): not part of any pod's environment, and without them a report of a
        # suppressed third-party leak fails the process.
        for key in ("ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LD_PRELOAD"):
            if key in os.environ:
                env[key] = os.environ[key]
        for var in pod["containers"][0]["env"]:
            key = var["name"]
            if not key.startswith(PREFIX):
                continue  # e.g. POD_NAMESPACE, only used inside other values
            flag = key[len(PREFIX):]
            if "value" in var:
                value = var["value"]
            elif "configMapKeyRef" in var["valueFrom"]:
                ref = var["valueFrom"]["configMapKeyRef"]
                value = self.find("ConfigMap", ref["name"])["data"][ref["key"]]
            elif "secretKeyRef" in var["valueFrom"]:
                value = {"MYSQL_PASSWORD": self.db["password"]}[flag]
            else:
                raise AssertionError(f"{name}: unsupported source for {key}")
            # What a single machine forces, nothing else.
            if flag == "LISTEN":
                value = f"127.0.0.1:{ports['grpc']}"
            elif flag == "HEALTH_LISTEN":
                value = f"127.0.0.1:{ports['health']}"
            elif flag == "HTTP_LISTEN":
                value = f"127.0.0.1:{ports['http']}"
            elif flag in TARGET_OF:
                value = f"dns:///localhost:{self.ports[TARGET_OF[flag]]['grpc']}"
            elif flag == "MYSQL_HOST":
                value = self.db["host"]
            elif flag == "MYSQL_PORT":
                value = self.db["port"]
            elif flag == "MYSQL_USER":
                value = self.db["user"]
            elif flag == "MYSQL_SCHEMA":
                value = schema
            for mount_path, directory in mounts.items():
                if value.startswith(mount_path + "/"):
                    value = directory + value[len(mount_path):]
                    break
            env[key] = value
        return env

    def mariadb(self, statement):
        result = run(["mariadb", "--no-defaults", "-h", self.db["host"], "-P", self.db["port"],
                      "-u", self.db["user"], f"-p{self.db['password']}", "-e", statement])
        if result.returncode != 0:
            raise AssertionError(f"mariadb: {result.stderr}")

    def start(self, name):
        env = self.environment(name)
        self.mariadb(f"CREATE DATABASE {self.schemas[name]}")
        with open(os.path.join(self.workdir, f"{name}.log"), "w") as log:
            self.processes[name] = subprocess.Popen([self.binaries[name]], env=env, stdout=log,
                                                    stderr=subprocess.STDOUT)
        return env

    def log_of(self, name):
        with open(os.path.join(self.workdir, f"{name}.log")) as f:
            return f.read()[-3000:]

    def stop_all(self):
        codes = {}
        for name in reversed(ORDER):
            process = self.processes.get(name)
            if process is None:
                continue
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            codes[name] = process.returncode
        for schema in self.schemas.values():
            try:
                self.mariadb(f"DROP DATABASE IF EXISTS {schema}")
            except AssertionError:
                pass
        return codes


class K8sEnvironmentTest(unittest.TestCase):
    repo = health_probe = kubectl = None
    binaries = {}

    def probe(self, port, host="127.0.0.1", pki=None, client_cert=True):
        args = [self.health_probe, f"--target={host}:{port}", "--timeout_ms=2000"]
        if pki:
            args.append(f"--tls_ca_file={os.path.join(pki, 'ca.crt')}")
            if client_cert:
                args += [f"--tls_cert_file={os.path.join(pki, 'tls.crt')}",
                         f"--tls_key_file={os.path.join(pki, 'tls.key')}"]
        return run(args)

    def wait_serving(self, stack, name):
        """Polls the health port as the kubelet's startup probe does, bounded in time."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if stack.processes[name].poll() is not None:
                self.fail(f"{name} exited with {stack.processes[name].returncode}:\n"
                          f"{stack.log_of(name)}")
            if self.probe(stack.ports[name]["health"]).returncode == 0:
                return
            time.sleep(0.2)  # the probe period; correctness is the answer, not the timing
        self.fail(f"{name} not SERVING after {START_TIMEOUT_S} s:\n{stack.log_of(name)}")

    def test_each_binary_starts_with_its_pod_environment(self):
        rendered = run([self.kubectl, "kustomize",
                        os.path.join(self.repo, "k8s", "overlays", "dev")])
        self.assertEqual(rendered.returncode, 0, rendered.stderr)
        objects = [o for o in yaml.safe_load_all(rendered.stdout) if o]
        database = {"host": os.environ.get("INBURGERING_TEST_MYSQL_HOST"),
                    "port": os.environ.get("INBURGERING_TEST_MYSQL_PORT"),
                    "user": os.environ.get("INBURGERING_TEST_MYSQL_USER"),
                    "password": os.environ.get("INBURGERING_TEST_MYSQL_PASSWORD")}
        missing = [k for k, v in database.items() if not v]
        self.assertEqual(missing, [], "set INBURGERING_TEST_MYSQL_* (scripts/test.sh does)")
        workdir = tempfile.mkdtemp(prefix="k8s-env-")
        stack = Stack(self.repo, objects, self.binaries, database, workdir)
        try:
            for name in ORDER:
                with self.subTest(service=name):
                    env = stack.start(name)
                    self.wait_serving(stack, name)
                    # A pod environment that makes a process warn is a misconfiguration (e.g. a
                    # missing pseudonym key makes matching invent one per replica).
                    complaints = [line for line in stack.log_of(name).splitlines()
                                  if '"level":"warning"' in line or '"level":"error"' in line]
                    self.assertEqual(complaints, [])
                    port = stack.ports[name]["grpc"]
                    self.assertIn(PREFIX + "TLS_CA_FILE", env)
                    ok = self.probe(port, "localhost", stack.pki)
                    self.assertEqual(ok.returncode, 0, ok.stderr)
                    self.assertEqual(ok.stdout.strip(), "SERVING")
                    plaintext = self.probe(port)
                    self.assertNotEqual(plaintext.returncode, 0, "main port must need TLS")
                    if name != "gateway":  # the gateway's public port may accept any client
                        anonymous = self.probe(port, "localhost", stack.pki, client_cert=False)
                        self.assertNotEqual(anonymous.returncode, 0, "mTLS: no client cert")
                        outsider = self.probe(port, "localhost", stack.outsider)
                        self.assertNotEqual(outsider.returncode, 0, "mTLS: a foreign CA")
        finally:
            codes = stack.stop_all()
        for name, code in codes.items():
            self.assertEqual(code, 0, f"{name} after SIGTERM:\n{stack.log_of(name)}")
        self.assertEqual(set(codes), set(ORDER))
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("--health_probe", required=True)
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("binaries", nargs="+", help="DEPLOYMENT=BINARY")
    args, rest = parser.parse_known_args()
    for tool in (args.kubectl, "openssl", "mariadb"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: this test needs it (scripts/lib.sh installs openssl and "
                     "mariadb-client; kubectl is on the project's machine image)")
    K8sEnvironmentTest.repo = os.path.abspath(args.repo)
    K8sEnvironmentTest.health_probe = args.health_probe
    K8sEnvironmentTest.kubectl = shutil.which(args.kubectl)
    for pair in args.binaries:
        name, binary = pair.split("=", 1)
        K8sEnvironmentTest.binaries[name] = binary
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
