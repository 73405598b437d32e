#!/usr/bin/env bash
# Downloads with curl: retried, failing on HTTP errors, bounded in time. file:// URLs go through
# curl too, so an air-gapped build reads a local archive the same way.

# download::fetch URL DEST: write URL's body to DEST, or fail with title, cause and remedy.
download::fetch() {
  local url=$1 dest=$2 err
  if ! err=$(curl --silent --show-error --location --fail --retry 5 --retry-connrefused \
    --connect-timeout 5 --max-time 300 --output "$dest" "$url" 2>&1); then
    rm -f "$dest"
    output::error "Download failed: $url" \
      "curl: ${err:-no output}" \
      "Check that the URL exists and is reachable from the build (for a release: that the version in buildpack/VERSION is published), or set ZDCD_BINARY_URL to an archive you host (file:// works for air-gapped builds)."
    return 1
  fi
}
