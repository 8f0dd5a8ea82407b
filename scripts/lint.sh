#!/usr/bin/env bash
# Project lint: bans unsafe or ownership-hiding calls and checks formatting with the committed
# .clang-format. Raw malloc/free are allowed only in src/lib/mem.c.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c')
if grep -nE '\b(strcpy|sprintf|strtok|atoi|sscanf|gets)\s*\(' $files; then
    echo "lint: banned function (use snprintf, strtol, explicit parsing)" >&2
    status=1
fi
if grep -nE '(^|[^_a-z])(malloc|calloc|realloc|free|strdup)\s*\(' $(echo "$files" | grep -v 'src/lib/mem.c') \
    | grep -vE 'scim_(malloc|calloc|realloc|free|strdup)|sqlite3_free|json_|curl_|MHD_|PQ|// lint-ok'; then
    echo "lint: raw allocation outside src/lib/mem.c (use scim_malloc/scim_free)" >&2
    status=1
fi
if command -v clang-format >/dev/null; then
    for f in $files; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "lint: $f is not clang-formatted (run make format)" >&2
            status=1
        fi
    done
fi
exit $status
