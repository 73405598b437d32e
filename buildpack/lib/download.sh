#!/usr/bin/env bash
# Downloads with curl: retried, failing on HTTP errors, bounded in time. file:// URLs go through
# curl too, so an air-gapped build reads a local archive the same way.

# download::fetch URL DEST [quiet|missing-ok]: write URL's body to DEST, or fail with title, cause
# and remedy. With "quiet" a failure prints nothing; with "missing-ok" a 404 prints nothing and
# returns 44 (the caller has another way), other failures are reported.
download::fetch() {
  local url=$1 dest=$2 mode=${3:-} err
  if ! err=$(curl --silent --show-error --location --fail --retry 5 --retry-connrefused \
    --connect-timeout 5 --max-time 300 --output "$dest" "$url" 2>&1); then
    rm -f "$dest"
    if [ "$mode" = quiet ]; then
      return 1
    fi
    if [ "$mode" = missing-ok ] && [[ $err == *"returned error: 404"* ]]; then
      return 44
    fi
    output::error "Download failed: $(download::redact "$url")" \
      "curl: ${err:-no output}" \
      "Check that the URL exists and is reachable from the build (for a release: that the version in buildpack/VERSION is published), or set ZDCD_BINARY_URL to an archive you host (file:// works for air-gapped builds)."
    return 1
  fi
}

# download::redact TEXT: print TEXT with the credentials of its URLs hidden (a GOPROXY or mirror
# URL may hold https://user:token@…; config vars are never printed as they are).
download::redact() {
  # shellcheck disable=SC2001 # every URL in the text, not one pattern substitution
  sed -E 's#(://)[^/@[:space:]|,]*@#\1***@#g' <<<"$1"
}
