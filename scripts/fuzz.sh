#!/usr/bin/env bash
# make fuzz: builds each libFuzzer target under fuzz/ with clang and runs it for FUZZ_SECONDS
# (default 60) on its corpus. Not part of make test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
mkdir -p build/fuzz
lib_src=$(ls src/lib/*.c)
for target in fuzz/*_fuzz.c; do
    name=$(basename "$target" .c)
    clang -std=c17 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/lib \
        $lib_src "$target" $(pkg-config --cflags --libs jansson libsodium) -o "build/fuzz/$name"
    corpus=fuzz/corpus/${name%_fuzz}
    mkdir -p "$corpus" build/fuzz/corpus-$name
    echo "fuzz: $name for ${seconds}s"
    "build/fuzz/$name" -max_total_time="$seconds" -max_len=4096 "build/fuzz/corpus-$name" "$corpus"
done
