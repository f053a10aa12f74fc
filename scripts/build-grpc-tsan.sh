#!/usr/bin/env bash
# Builds Debian 12's gRPC (source package grpc 1.51.1-3, the one libgrpc++-dev comes from) with
# ThreadSanitizer into a prefix the TSan build links against (docs/SECURITY.md, Sanitizers):
#   scripts/build-grpc-tsan.sh [prefix]
# Downloads the Debian source package, checks it against the .dsc's Checksums-Sha256, applies
# Debian's patches (debian/patches/series) and builds only the libraries the project links
# (grpc, grpc++, grpc++_reflection and gpr, address_sorting, upb, which they need) as shared
# libraries with g++ -fsanitize=thread -O1 -g. Abseil, protobuf, c-ares, RE2, OpenSSL and zlib are
# Debian's (uninstrumented); protoc and grpc_cpp_plugin stay Debian's too (same version). Once per
# machine: scripts/test-sanitized.sh thread calls it when the prefix is missing. Nothing here is
# used by scripts/test.sh or CI.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VERSION=1.51.1
DEBIAN_REVISION=3
PREFIX="${1:-$GRPC_TSAN_PREFIX}"
MIRROR="${INBURGERING_DEBIAN_MIRROR:-http://deb.debian.org/debian}/pool/main/g/grpc"
WORK="$PREFIX.work"
DSC="grpc_$VERSION-$DEBIAN_REVISION.dsc"
ORIG="grpc_$VERSION.orig.tar.gz"
DEBIAN="grpc_$VERSION-$DEBIAN_REVISION.debian.tar.xz"

[ -f "$PREFIX/.complete" ] && { log "TSan gRPC already in $PREFIX"; exit 0; }
installed=$(dpkg-query -W -f='${Version}' libgrpc++-dev 2>/dev/null || true)
case "$installed" in
  "$VERSION-$DEBIAN_REVISION" | "$VERSION-$DEBIAN_REVISION+"*) ;;
  *) die "libgrpc++-dev is '$installed', this script builds $VERSION-$DEBIAN_REVISION; update VERSION" ;;
esac
for tool in curl sha256sum patch cmake ninja g++; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done

start=$SECONDS
rm -rf "$WORK" "$PREFIX"
mkdir -p "$WORK/download"
cd "$WORK/download"
for f in "$DSC" "$ORIG" "$DEBIAN"; do
  log "downloading $MIRROR/$f"
  curl -sSfL --retry 3 -o "$f" "$MIRROR/$f"
done
# The .dsc's Checksums-Sha256 lines: " <sha256> <size> <name>".
for f in "$ORIG" "$DEBIAN"; do
  want=$(awk -v f="$f" '/^Checksums-Sha256:/ {s = 1; next} /^[^ ]/ {s = 0} s && $3 == f {print $1}' "$DSC")
  [ -n "$want" ] || die "$f is not in $DSC's Checksums-Sha256"
  echo "$want  $f" | sha256sum -c --quiet - || die "$f does not match $DSC"
done
log "checksums match $DSC"

# The sources stay in the prefix: the libraries' debug info points at them.
SRC="$PREFIX/src/grpc-$VERSION"
mkdir -p "$PREFIX/src"
tar -xzf "$ORIG" -C "$PREFIX/src"
tar -xJf "$DEBIAN" -C "$SRC"
cd "$SRC"
# As dpkg-source does for a "3.0 (quilt)" package: every patch in series, in order; # comments.
while read -r p _; do
  case "$p" in '' | '#'*) continue ;; esac
  patch -p1 -s --no-backup-if-mismatch <"debian/patches/$p" || die "Debian patch $p does not apply"
done <debian/patches/series
log "Debian patches applied"

# grpc_unsecure and grpc++_unsecure compile most of gRPC a second time, grpc_plugin_support is the
# code generators' library (it needs libprotoc); the project links none of them: their
# add_library ... install(TARGETS ...) sections go under if(FALSE). The other targets, their
# sources and flags are Debian's.
dropped='grpc_unsecure|grpc[+][+]_unsecure|grpc_plugin_support'
awk -v t="$dropped" '
  $0 ~ "^add_library\\((" t ")$" { print "if(FALSE)  # scripts/build-grpc-tsan.sh"; skip = 1 }
  skip && $0 ~ "^  install\\(TARGETS (" t ") EXPORT" { installing = 1 }
  { print }
  skip && installing && /^endif\(\)$/ { print "endif()"; skip = 0; installing = 0 }
' CMakeLists.txt >CMakeLists.txt.new
[ "$(grep -c '^if(FALSE)  # scripts/build-grpc-tsan.sh' CMakeLists.txt.new)" = 3 ] ||
  die "CMakeLists.txt: the grpc_unsecure, grpc++_unsecure, grpc_plugin_support sections were not found"
mv CMakeLists.txt.new CMakeLists.txt
# grpc++_reflection's generated code comes from Debian's protoc and grpc_cpp_plugin (the ones the
# project uses), not from a plugin built here.
cat >"$WORK/debian-plugin.cmake" <<'CMAKE'
add_executable(grpc_cpp_plugin IMPORTED)
set_target_properties(grpc_cpp_plugin PROPERTIES IMPORTED_LOCATION /usr/bin/grpc_cpp_plugin)
CMAKE

flags="-fsanitize=thread -O1 -g"
# Debian's flags (debian/rules COMMON_BUILD_FLAGS, shared build) less the code generators.
log "configuring (g++ $flags)"
cmake -S "$SRC" -B "$WORK/build" -G Ninja \
  -DCMAKE_PROJECT_INCLUDE="$WORK/debian-plugin.cmake" \
  -DCMAKE_BUILD_TYPE= -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
  -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_RPATH="$PREFIX/lib" \
  -DBUILD_SHARED_LIBS=ON -DgRPC_BUILD_TESTS=OFF \
  -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package -DgRPC_PROTOBUF_PROVIDER=package \
  -DgRPC_RE2_PROVIDER=package -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
  -DgRPC_BENCHMARK_PROVIDER=none -DgRPC_BACKWARDS_COMPATIBILITY_MODE=OFF \
  -DgRPC_INSTALL_LIBDIR=lib -DgRPC_INSTALL_CMAKEDIR=lib/cmake/grpc \
  -DgRPC_BUILD_CODEGEN=ON -DgRPC_BUILD_GRPC_CPP_PLUGIN=OFF -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
  -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF -DgRPC_BUILD_CSHARP_EXT=OFF >"$WORK/configure.log" ||
  die "cmake configure failed; see $WORK/configure.log"
log "building (about 20 min on 2 cores at nice 19, load 7–8); log in $WORK/build.log"
cmake --build "$WORK/build" -j "${INBURGERING_JOBS:-$(nproc)}" >"$WORK/build.log" 2>&1 ||
  die "build failed; see $WORK/build.log"
cmake --install "$WORK/build" >"$WORK/install.log" || die "install failed; see $WORK/install.log"
rm -rf "$WORK"
echo "grpc $VERSION-$DEBIAN_REVISION $flags, built $(date -u +%FT%TZ) in $((SECONDS - start)) s" \
  >"$PREFIX/.complete"
log "TSan gRPC installed in $PREFIX in $((SECONDS - start)) s"
