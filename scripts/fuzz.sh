#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang, AddressSanitizer and UndefinedBehaviorSanitizer
# into build-fuzz/ (only what they link), then runs each for a bounded time on a fresh copy of its
# seeds (fuzz/seeds/<target>/). Fails when any target crashes, reports or breaks an invariant; the
# input is kept in build-fuzz/artifacts/<target>/ (replay: build-fuzz/fuzz/<target>_fuzzer FILE).
#
#   scripts/fuzz.sh [seconds-per-target] [target...]     (default 20 s, every target)
#
# Seeds named NN_* get the selector byte NN in front (the request type or method the target picks
# from the first byte); *.txtpb seeds are text protos of the type named after NN_, encoded here.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_TARGET="${1:-20}"
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(intake_validation matching_validation reporting_validation
  gateway_json csv_import principal)
FUZZ_BUILD="${INBURGERING_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}"
JOBS="${INBURGERING_FUZZ_JOBS:-$(nproc)}"

clang_cxx=$(command -v clang++-14 || command -v clang++) || die "clang++ not found (apt: clang-14)"
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$clang_cxx" -DINBURGERING_FUZZ=ON "${launcher[@]}" >/dev/null
fi
log "building the fuzz targets into $FUZZ_BUILD"
cmake --build "$FUZZ_BUILD" -j "$JOBS" --target inburgering_fuzzers

# Writes the seeds of $1 into directory $2 in the form the target reads.
encode_seeds() {
  local target=$1 out=$2 seed name selector type
  for seed in "$ROOT/fuzz/seeds/$target"/*; do
    name=$(basename "$seed")
    if [[ $name =~ ^([0-9][0-9])_ ]]; then
      selector=$((10#${BASH_REMATCH[1]}))
      # shellcheck disable=SC2059
      printf "\\$(printf '%03o' "$selector")" >"$out/$name"
      if [[ $name == *.txtpb ]]; then
        type=${name#*_}
        type=${type%%_*}
        protoc -I "$ROOT/proto" --encode="inburgering.v1.$type" \
          "$ROOT"/proto/inburgering/v1/{intake,matching,reporting}.proto <"$seed" >>"$out/$name" ||
          die "seed $target/$name is not a valid $type"
      else
        cat "$seed" >>"$out/$name"
      fi
    else
      cp "$seed" "$out/$name"
    fi
  done
}

failed=()
for target in "${TARGETS[@]}"; do
  corpus="$FUZZ_BUILD/corpus/$target"
  artifacts="$FUZZ_BUILD/artifacts/$target"
  rm -rf "$corpus" && mkdir -p "$corpus" "$artifacts"
  encode_seeds "$target" "$corpus"
  log "fuzzing $target for ${SECONDS_PER_TARGET}s"
  if "$FUZZ_BUILD/fuzz/${target}_fuzzer" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$corpus" >"$FUZZ_BUILD/$target.log" 2>&1; then
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$FUZZ_BUILD/$target.log" >&2 || true
  else
    tail -n 60 "$FUZZ_BUILD/$target.log" >&2
    failed+=("$target")
  fi
done
echo "fuzz: $((${#TARGETS[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
((${#failed[@]} == 0)) || die "fuzz targets failed: ${failed[*]} (inputs in $FUZZ_BUILD/artifacts/)"
log "all fuzz targets ran clean"
