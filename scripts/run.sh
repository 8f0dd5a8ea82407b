#!/usr/bin/env bash
# Starts scimd on the embedded SQLite default, for `make run`.
# First start: creates the database (./var/scimd.db unless SCIMD_DATABASE says otherwise), tenant
# "default" and one token, printed once. Later starts print how to mint another with scimctl.
set -euo pipefail
cd "$(dirname "$0")/.."
export SCIMD_DATABASE=${SCIMD_DATABASE:-./var/scimd.db}
listen=${SCIMD_LISTEN:-127.0.0.1:8080}

if [ ! -f "$SCIMD_DATABASE" ]; then
    mkdir -p "$(dirname "$SCIMD_DATABASE")"
    build/scimctl tenant create default >/dev/null
    token=$(build/scimctl token create --tenant default --description "make run bootstrap" \
        --expires-in-days 30 --quiet)
    cat <<MSG

  scimd: created $SCIMD_DATABASE with tenant "default".
  Bearer token (shown only now; it expires in 30 days):

      $token

  Try:  curl -H "Authorization: Bearer $token" http://$listen/scim/v2/Users

MSG
else
    cat <<MSG

  scimd: using $SCIMD_DATABASE. Mint a token for an IdP with:

      build/scimctl token create --tenant default --description "Okta" --expires-in-days 365

MSG
fi
echo "  Serving SCIM 2.0 at http://$listen/scim/v2 (Ctrl-C stops)."
echo
exec build/scimd --listen "$listen"
