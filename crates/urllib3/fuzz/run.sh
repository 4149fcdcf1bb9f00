#!/usr/bin/env bash
# Runs the core's libFuzzer targets one after the other, each for FUZZ_SECONDS (default 60).
#
#   crates/urllib3/fuzz/run.sh                  # every target
#   FUZZ_SECONDS=1800 crates/urllib3/fuzz/run.sh chunked decoders
#
# Each target starts from its committed seeds (seeds/<target>/), copied into a scratch corpus
# (corpus/<target>/, git-ignored, kept between runs so coverage accumulates). libFuzzer stops a
# target at its first crash (panic, hang over 10 s, or over 2 GiB of memory) and leaves the
# input in artifacts/<target>/; logs/<target>.log has the full output. Prints, per target, the
# seconds run, the inputs executed and the crashes found; exits non-zero if any target crashed.
#
# cargo-fuzz needs nightly rustc flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# FUZZ_ARGS adds libFuzzer flags (e.g. FUZZ_ARGS=-jobs=2).
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${FUZZ_SECONDS:-60}"
all_targets=(parse_url response_head chunked decoders multipart_roundtrip http2_client)
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi

export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# No sanitizer: the core forbids unsafe code, so address sanitizing buys little and halves the
# speed. Debug assertions (and with them overflow checks) stay on.
fuzz_flags=(--fuzz-dir "$fuzz_dir" --sanitizer none --debug-assertions --release)

cd "$fuzz_dir/.."
cargo fuzz build "${fuzz_flags[@]}"

mkdir -p "$fuzz_dir/logs"
results=()
crashed=0
for target in "${targets[@]}"; do
    corpus="$fuzz_dir/corpus/$target"
    artifacts="$fuzz_dir/artifacts/$target"
    log="$fuzz_dir/logs/$target.log"
    mkdir -p "$corpus" "$artifacts"
    if [ -d "$fuzz_dir/seeds/$target" ]; then
        cp -n "$fuzz_dir/seeds/$target/"* "$corpus/" 2>/dev/null || true
    fi
    before="$(find "$artifacts" -type f | sort)"
    echo "== $target: ${seconds}s (log: $log)"
    start="$(date +%s)"
    status=0
    # shellcheck disable=SC2086
    cargo fuzz run "${fuzz_flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - start))
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)"
    if [ -z "$execs" ]; then
        # No final stats after a crash: the last status line ("#N  pulse ..." or "#N DONE").
        execs="$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)"
    fi
    new="$(comm -13 <(echo "$before") <(find "$artifacts" -type f | sort) | sed '/^$/d')"
    crashes="$(printf '%s' "$new" | grep -c . || true)"
    if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        echo "   cargo fuzz exited $status without an artifact; see $log" >&2
        crashes=1
    fi
    if [ "$crashes" -gt 0 ]; then
        crashed=1
        printf '%s\n' "$new" | sed '/^$/d; s/^/   artifact: /'
        grep -m 3 -E 'panicked at|SUMMARY|ERROR: libFuzzer' "$log" | sed 's/^/   /' || true
    fi
    results+=("$(printf '%-20s %8ss %14s execs %3s crashes' "$target" "$elapsed" "${execs:-?}" "$crashes")")
done

echo
echo "target                seconds     executions      crashes"
printf '%s\n' "${results[@]}"
exit "$crashed"
