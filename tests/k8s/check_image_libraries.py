#!/usr/bin/python3
"""Checks the service Dockerfiles against the binaries this build produced.

No Docker engine is needed: for each `SERVICE_DIR=BINARY` argument it reads SERVICE_DIR/Dockerfile
and checks that
  - every shared library `ldd BINARY` resolves is shipped by a Debian package (dpkg -S) that the
    runtime stage installs by name, so the image starts;
  - the runtime stage installs no -dev package and tzdata is there when the code loads a time zone;
  - the build stage installs every build dependency scripts/lib.sh installs for a local build;
  - the image copies the binary of the CMake target it builds, runs as a numeric non-root user and
    has an ENTRYPOINT.

Usage: check_image_libraries.py --repo ROOT intake-service=/path/to/intake_server ...
"""

import argparse
import os
import re
import subprocess
import sys
import unittest

# Build tools of scripts/lib.sh's PACKAGES that are not -dev packages but are needed to build.
BUILD_TOOLS = {"cmake", "ninja-build", "g++", "pkg-config", "protobuf-compiler",
               "protobuf-compiler-grpc", "grpc-proto"}
# -dev packages scripts/lib.sh installs for the test tooling only: libFuzzer's runtime for
# scripts/fuzz.sh (clang); the images are built with g++ and never fuzz.
TEST_ONLY = {"libclang-rt-14-dev"}


def stages(dockerfile_text):
    """Splits a Dockerfile into stages: a list of (from_line, [instructions]), continuations joined."""
    logical = []
    current = ""
    for raw in dockerfile_text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        logical.append(current.strip())
        current = ""
    result = []
    for instruction in logical:
        if instruction.upper().startswith("FROM "):
            result.append((instruction, []))
        elif result:
            result[-1][1].append(instruction)
    return result


def apt_installed(instructions):
    """Package names given to `apt-get install` in RUN instructions."""
    packages = set()
    for instruction in instructions:
        if not instruction.upper().startswith("RUN "):
            continue
        for command in re.split(r"&&|;", instruction[4:]):
            words = command.split()
            if "apt-get" in words and "install" in words:
                after = words[words.index("install") + 1:]
                packages.update(w for w in after if not w.startswith("-") and "=" not in w)
    return packages


def lib_sh_packages(repo):
    with open(os.path.join(repo, "scripts", "lib.sh")) as f:
        text = f.read()
    match = re.search(r"^PACKAGES=\((.*?)\)", text, re.S | re.M)
    if not match:
        raise AssertionError("scripts/lib.sh has no PACKAGES=(...) list")
    return set(match.group(1).split())


def packages_of(paths):
    """{path: Debian package shipping it}, from one `dpkg -S` call over the paths as given and
    resolved (dpkg knows a library by the path its package installed, /lib or /usr/lib)."""
    candidates = {}
    for path in paths:
        candidates[path] = [path, os.path.realpath(path)]
    queried = sorted({c for cs in candidates.values() for c in cs})
    # Exits 1 when some path is unknown; the known ones are still printed.
    out = subprocess.run(["dpkg", "-S"] + queried, capture_output=True, text=True).stdout
    owner = {}
    for line in out.splitlines():
        # "libssl3:amd64: /usr/lib/x86_64-linux-gnu/libssl.so.3"
        package, _, path = line.rpartition(": ")
        if package and "," not in package:
            owner[path.strip()] = package.split(":")[0].strip()
    return {path: next((owner[c] for c in cs if c in owner), None)
            for path, cs in candidates.items()}


def needed_libraries(binary):
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = []
    for line in out.splitlines():
        line = line.strip()
        if "=> not found" in line:
            raise AssertionError(f"{binary}: {line}")
        if "=>" in line:
            target = line.split("=>")[1].split("(")[0].strip()
            if target:
                libraries.append(target)
        elif line.startswith("/"):
            libraries.append(line.split()[0])  # the dynamic loader
    return libraries


class ImageTest(unittest.TestCase):
    repo = None
    binaries = {}

    def dockerfile(self, service_dir):
        path = os.path.join(self.repo, service_dir, "Dockerfile")
        self.assertTrue(os.path.isfile(path), f"{service_dir}/Dockerfile is missing")
        with open(path) as f:
            return stages(f.read())

    def test_runtime_stage_ships_every_library_the_binary_loads(self):
        for service_dir, binary in self.binaries.items():
            with self.subTest(service=service_dir):
                runtime = apt_installed(self.dockerfile(service_dir)[-1][1])
                missing = {}
                for library, package in packages_of(needed_libraries(binary)).items():
                    self.assertIsNotNone(package, f"{library} belongs to no Debian package")
                    if package not in runtime:
                        missing.setdefault(package, []).append(os.path.basename(library))
                self.assertEqual(missing, {},
                                 f"{service_dir}/Dockerfile runtime stage lacks packages "
                                 f"(package: libraries the binary loads): {missing}")

    def test_runtime_stage_has_no_dev_packages_and_has_tzdata(self):
        uses_time_zones = subprocess.run(
            ["grep", "-rlq", "LoadTimeZone", os.path.join(self.repo, "common")]).returncode == 0
        for service_dir in self.binaries:
            with self.subTest(service=service_dir):
                runtime = apt_installed(self.dockerfile(service_dir)[-1][1])
                self.assertEqual({p for p in runtime if p.endswith("-dev")}, set())
                if uses_time_zones:
                    self.assertIn("tzdata", runtime, "the code loads Europe/Amsterdam")

    def test_build_stage_installs_what_a_local_build_installs(self):
        wanted = {p for p in lib_sh_packages(self.repo)
                  if (p.endswith("-dev") or p in BUILD_TOOLS) and p not in TEST_ONLY}
        for service_dir in self.binaries:
            with self.subTest(service=service_dir):
                all_stages = self.dockerfile(service_dir)
                self.assertGreaterEqual(len(all_stages), 2, "multi-stage build expected")
                build = apt_installed(all_stages[0][1])
                self.assertEqual(wanted - build, set(),
                                 f"{service_dir}/Dockerfile build stage lacks packages that "
                                 "scripts/lib.sh installs")
                for from_line, _ in all_stages:
                    self.assertRegex(from_line, r"^FROM debian:(12|bookworm)[\w.-]*( AS \w+)?$")

    def test_image_copies_its_binary_and_runs_unprivileged(self):
        for service_dir, binary in self.binaries.items():
            with self.subTest(service=service_dir):
                all_stages = self.dockerfile(service_dir)
                target = os.path.basename(binary)
                build_text = " ".join(all_stages[0][1])
                self.assertIn(f"--target {target}", build_text)
                self.assertIn(f"/{service_dir}/{target}", build_text)
                runtime = all_stages[-1][1]
                copies = [i for i in runtime if i.upper().startswith("COPY")]
                self.assertEqual(len(copies), 1, "the runtime stage copies only the binary")
                self.assertIn("--from=build", copies[0])
                self.assertTrue(copies[0].endswith(f"/usr/local/bin/{target}"))
                users = [i for i in runtime if i.upper().startswith("USER ")]
                self.assertEqual(len(users), 1)
                uid = users[0].split()[1].split(":")[0]
                self.assertTrue(uid.isdigit() and int(uid) != 0,
                                "USER must be a numeric non-root uid (runAsNonRoot checks it)")
                entry = [i for i in runtime if i.upper().startswith("ENTRYPOINT")]
                self.assertEqual(entry, [f'ENTRYPOINT ["/usr/local/bin/{target}"]'])

    def test_dockerignore_keeps_build_output_and_local_state_out(self):
        path = os.path.join(self.repo, ".dockerignore")
        self.assertTrue(os.path.isfile(path), ".dockerignore is missing at the repository root")
        with open(path) as f:
            entries = {line.strip() for line in f if line.strip() and line[0] != "#"}
        for entry in (".git", ".local", "build"):
            self.assertIn(entry, entries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", required=True)
    parser.add_argument("binaries", nargs="+", help="SERVICE_DIR=BINARY")
    args, rest = parser.parse_known_args()
    ImageTest.repo = os.path.abspath(args.repo)
    for pair in args.binaries:
        service_dir, binary = pair.split("=", 1)
        if not os.path.isfile(binary):
            sys.exit(f"{binary} is not built: build the service targets first")
        ImageTest.binaries[service_dir] = binary
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
