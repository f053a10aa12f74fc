#!/usr/bin/env bash
# Builds the four service images from the repository root with podman (no Docker engine needed)
# and smoke-runs each one. Meant for a Debian 12 machine as root; not part of the test suite
# (a cold build of all four took 18 minutes on 2 busy cores). See docs/DEPLOY.md, "Building the
# images without Docker".
#
# Usage: scripts/build-images.sh [--tag TAG] [--no-smoke] [--stack] [SERVICE...]
#   SERVICE: intake-service matching-service reporting-service gateway (default: all four)
#   --tag TAG     image tag (default: the project version from CMakeLists.txt)
#   --no-smoke    build only
#   --stack       then run tests/k8s/k8s_env_integration_test.py against the four images
#                 (the dev overlay's pod environments, the private MariaDB of scripts/lib.sh)
# Environment:
#   IMAGE_PREFIX   name prefix (default inburgering/), e.g. registry.example/inburgering/
#   BASE_SOURCE    auto (default): pull debian:bookworm-slim, make it with debootstrap if no
#                  registry answers; pull: pull only; debootstrap: always make it locally
#   DEBIAN_MIRROR  mirror for debootstrap (default: the first Debian URI in the host's apt sources)
#   JOBS           parallel compile jobs inside the build stage (default 2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL_SERVICES=(intake-service matching-service reporting-service gateway)
BASE_IMAGE=docker.io/library/debian:bookworm-slim
IMAGE_PREFIX="${IMAGE_PREFIX:-inburgering/}"
BASE_SOURCE="${BASE_SOURCE:-auto}"
JOBS="${JOBS:-2}"
WORK="${WORK:-/var/tmp/inburgering-images}"   # debootstrap tree and logs; outside the context
TAG=""
SMOKE=1
STACK=0
SERVICES=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

while (($#)); do
  case "$1" in
    --tag) TAG="$2"; shift 2 ;;
    --no-smoke) SMOKE=0; shift ;;
    --stack) STACK=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) SERVICES+=("$1"); shift ;;
  esac
done
((${#SERVICES[@]})) || SERVICES=("${ALL_SERVICES[@]}")
if [ -z "$TAG" ]; then
  TAG=$(sed -n 's/^project(inburgering .*VERSION \([0-9.]*\)).*/\1/p' "$ROOT/CMakeLists.txt")
fi
[ "$(id -u)" -eq 0 ] || die "run as root (podman's rootful storage; debootstrap)"

# The binary each service's Dockerfile installs.
binary_of() {
  case "$1" in
    intake-service) echo intake_server ;;
    matching-service) echo matching_server ;;
    reporting-service) echo reporting_server ;;
    gateway) echo gateway_server ;;
    *) die "unknown service $1" ;;
  esac
}
for s in "${SERVICES[@]}"; do binary_of "$s" >/dev/null; done

install_tools() {
  local missing=()
  for p in podman runc debootstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# The first Debian (not -security) URI in the host's apt sources, deb822 or one-line format.
host_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null \
          | sed -n 's|^URIs:[[:space:]]*\(http[^[:space:]]*/debian\)/\?$|\1|p' | head -n1)
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
            | sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\(http[^[:space:]]*/debian\)/\?[[:space:]].*|\2|p' \
            | head -n1)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# debian:bookworm-slim made here: a minbase debootstrap with the slim image's dpkg and apt
# settings (no docs, man pages or locales; no apt caches), imported under the official name so
# the Dockerfiles' `FROM debian:bookworm-slim` resolves without a registry. Never push it.
make_base_image() {
  local mirror="${DEBIAN_MIRROR:-$(host_mirror)}"
  local rootfs="$WORK/rootfs"
  log "making $BASE_IMAGE with debootstrap from $mirror"
  rm -rf "$rootfs"
  mkdir -p "$WORK"
  nice -n 19 debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $WORK/debootstrap.log"

  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# As in debian:bookworm-slim: leave out documentation, man pages and translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'APT::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  rm -f "$rootfs/etc/apt/sources.list"
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/* "$rootfs"/var/cache/apt/* \
         "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
         "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  : >"$rootfs/etc/resolv.conf"   # podman writes its own; the host's must not be baked in
  : >"$rootfs/etc/hostname"

  tar --numeric-owner --xattrs -C "$rootfs" -c . \
    | podman import --quiet --change 'CMD ["bash"]' --message "debootstrap minbase bookworm ($mirror)" \
        - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
  log "made $BASE_IMAGE ($(podman image inspect --format '{{.Size}}' "$BASE_IMAGE" | numfmt --to=si --round=nearest --suffix=B))"
}

ensure_base_image() {
  if podman image exists "$BASE_IMAGE"; then
    log "using $BASE_IMAGE already in local storage"
    return
  fi
  if [ "$BASE_SOURCE" != debootstrap ]; then
    log "pulling $BASE_IMAGE"
    if timeout 120 podman pull -q "$BASE_IMAGE" >/dev/null 2>"$WORK/pull.log"; then
      return
    fi
    [ "$BASE_SOURCE" = pull ] && die "pull failed: $(tail -n1 "$WORK/pull.log")"
    log "no registry reachable ($(tail -n1 "$WORK/pull.log" | cut -c1-120))"
  fi
  make_base_image
}


# How podman must run containers here, found by trying: PODMAN (global options) and RUN_OPTS (for
# `run` and `build`). On a usual host the defaults work. In a sandbox without CAP_SYS_RESOURCE
# the default limits cannot be set (podman asks for nofile=1048576 and nproc above the caller's
# hard limit: "setrlimit `RLIMIT_NOFILE`: Operation not permitted"), so ask for the current hard
# limits; and crun refuses a cgroup v1/v2 hybrid ("cgroups in hybrid mode not supported"), runc
# does not.
PODMAN=(podman)
RUN_OPTS=(--network=host --pull=never)
probe_runtime() {
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
  nproc=$(ulimit -Hu); { [ "$nproc" = unlimited ] || ((nproc > 32768)); } && nproc=32768
  local limits=(--ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc")
  local tries=("|" "|${limits[*]}" "--runtime runc|${limits[*]}")
  local try global opts
  : >"$WORK/probe.log"
  for try in "${tries[@]}"; do
    read -r -a global <<<"${try%%|*}"
    read -r -a opts <<<"${try#*|}"
    if podman "${global[@]}" run --rm "${RUN_OPTS[@]}" "${opts[@]}" "$BASE_IMAGE" true \
         >>"$WORK/probe.log" 2>&1; then
      PODMAN=(podman "${global[@]}")
      RUN_OPTS+=("${opts[@]}")
      log "containers run with: ${PODMAN[*]} run ${RUN_OPTS[*]}"
      return
    fi
  done
  cat "$WORK/probe.log" >&2
  die "no podman configuration runs a container here (errors above)"
}

SUMMARY=()
build_image() {
  local service=$1 image="$IMAGE_PREFIX$1:$TAG" started seconds size
  log "building $image (log: $WORK/logs/build-$service.log)"
  started=$(date +%s)
  nice -n 19 "${PODMAN[@]}" build "${RUN_OPTS[@]}" --build-arg "CMAKE_BUILD_PARALLEL_LEVEL=$JOBS" \
      -f "$ROOT/$service/Dockerfile" -t "$image" "$ROOT" >"$WORK/logs/build-$service.log" 2>&1 \
    || { tail -n 30 "$WORK/logs/build-$service.log" >&2; die "building $image failed"; }
  seconds=$(($(date +%s) - started))
  size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$image" | numfmt --to=si --round=nearest --suffix=B)
  log "built $image in ${seconds}s, $size"
  SUMMARY+=("$(printf '%-45s %8s %6ss' "$image" "$size" "$seconds")")
}

# Runs the image the way the Deployments do: read-only root, no capabilities, its own user.
run_image() {
  "${PODMAN[@]}" run --rm "${RUN_OPTS[@]}" --read-only --cap-drop=ALL \
      --security-opt=no-new-privileges "$@"
}

smoke_image() {
  local service=$1 image="$IMAGE_PREFIX$1:$TAG" binary out rc
  binary=/usr/local/bin/$(binary_of "$service")
  log "smoke-running $image"
  out=$(run_image --entrypoint /usr/bin/id "$image")
  echo "  id: $out"
  [[ $out =~ ^uid=10001(\([a-z]+\))?\ gid=10001 ]] || die "$image does not run as 10001:10001"
  out=$(run_image --entrypoint /usr/bin/ldd "$image" "$binary")
  echo "  ldd: $(wc -l <<<"$out") libraries, $(grep -c 'not found' <<<"$out" || true) not found"
  if grep 'not found' <<<"$out"; then die "$image lacks shared libraries"; fi
  out=$(run_image "$image" --helpfull 2>&1) || true
  grep -q -- '--health_listen' <<<"$out" || { echo "$out" >&2; die "$image: --helpfull failed"; }
  echo "  --helpfull: $(grep -c '^ *--' <<<"$out") flags, e.g. $(grep -m1 -- '--listen ' <<<"$out" | sed 's/^ *//')"
  # Nothing listens on port 1: the process must get as far as connecting to the database.
  rc=0
  out=$(run_image -e INBURGERING_MYSQL_PORT=1 "$image" 2>&1) || rc=$?
  echo "  start without a database: exit $rc, $(tail -n1 <<<"$out")"
  grep -q 'database unavailable' <<<"$out" || { echo "$out" >&2; die "$image: unexpected start"; }
}

# tests/k8s/k8s_env_integration_test.py with each image in place of its binary: every service
# starts from its dev-overlay pod environment against the private MariaDB (scripts/lib.sh),
# applies its migrations, answers SERVING on its health port and mTLS on its main port, and
# stops with exit code 0 on SIGTERM. The mounted files are chowned to 10001 (`:U`), as the
# pods' fsGroup makes them readable there.
stack_test() {
  local missing=()
  for s in "${ALL_SERVICES[@]}"; do
    "${PODMAN[@]}" image exists "$IMAGE_PREFIX$s:$TAG" || missing+=("$s")
  done
  ((${#missing[@]} == 0)) || die "--stack needs all four images; missing: ${missing[*]}"
  command -v kubectl >/dev/null || die "--stack needs kubectl (k8s_env_integration_test renders the dev overlay)"
  (
    # shellcheck source=scripts/lib.sh
    source "$ROOT/scripts/lib.sh"
    install_deps
    if [ ! -x "$BUILD/tools/health_probe" ]; then
      log "building the host's health_probe (the test's probe client) in $BUILD"
      [ -f "$BUILD/build.ninja" ] || cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
      nice -n 19 cmake --build "$BUILD" --target health_probe -j "$JOBS" >/dev/null
    fi
    local was_running=0
    db_running && was_running=1
    db_start
    ((was_running)) || trap db_stop EXIT
    local bin="$WORK/stack-bin" args=() s
    mkdir -p "$bin"
    for s in "${ALL_SERVICES[@]}"; do
      cat >"$bin/$s" <<WRAPPER
#!/usr/bin/env bash
# $s's image in place of its binary: the INBURGERING_* environment passed on, each mounted file's
# directory bound at the same path. Written by scripts/build-images.sh.
set -euo pipefail
args=()
declare -A mounted=()
for name in \$(compgen -e); do
  [[ \$name == INBURGERING_* ]] || continue
  args+=(--env "\$name")
  value=\${!name}
  if [[ \$value == /* && -f \$value ]]; then
    dir=\$(dirname "\$value")
    [ -n "\${mounted[\$dir]:-}" ] || { mounted[\$dir]=1; args+=(--volume "\$dir:\$dir:ro,U"); }
  fi
done
exec ${PODMAN[*]} run --rm ${RUN_OPTS[*]} --read-only --cap-drop=ALL \\
  --security-opt=no-new-privileges "\${args[@]}" $IMAGE_PREFIX$s:$TAG
WRAPPER
      chmod +x "$bin/$s"
      args+=("$s=$bin/$s")
    done
    log "k8s_env_integration_test with the images (MariaDB on 127.0.0.1:$DB_PORT)"
    INBURGERING_TEST_MYSQL_HOST=127.0.0.1 INBURGERING_TEST_MYSQL_PORT="$DB_PORT" \
    INBURGERING_TEST_MYSQL_USER=inburgering_test \
    INBURGERING_TEST_MYSQL_PASSWORD="$(secret mysql_test_password)" \
      /usr/bin/python3 "$ROOT/tests/k8s/k8s_env_integration_test.py" --repo "$ROOT" \
        --health_probe "$BUILD/tools/health_probe" "${args[@]}"
  )
}

main() {
  mkdir -p "$WORK/logs"
  install_tools
  ensure_base_image
  probe_runtime
  for s in "${SERVICES[@]}"; do build_image "$s"; done
  if ((SMOKE)); then
    for s in "${SERVICES[@]}"; do smoke_image "$s"; done
  fi
  if ((STACK)); then stack_test; fi
  log "images (size, build time):"
  printf '  %s\n' "${SUMMARY[@]}" >&2
}

main
