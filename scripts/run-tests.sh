#!/usr/bin/env bash
# Runs every unit and end-to-end test binary of a build tree (default build/san) and reports a
# summary. Exits non-zero when any test fails. Used by `make test` (and so by .ci/run).
set -uo pipefail
build=${1:-build/san}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export SCIMD_BIN=${SCIMD_BIN:-$build/scimd}
export SCIMCTL_BIN=${SCIMCTL_BIN:-$build/scimctl}
failed=()
count=0
for t in "$build"/tests/test_* "$build"/tests/e2e_*; do
    [ -x "$t" ] || continue
    count=$((count + 1))
    echo "== $(basename "$t")"
    if ! "$t"; then
        failed+=("$(basename "$t")")
    fi
done
echo
if [ "$count" -eq 0 ]; then
    echo "no test binaries found under $build/tests" >&2
    exit 1
fi
if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all $count test programs passed"
