#!/usr/bin/env bash
# SHA-256 of downloaded files, compared with the recorded value before anything is installed.

# checksum::of FILE: print the lowercase hex SHA-256 of FILE.
checksum::of() {
  local sum
  if command -v sha256sum >/dev/null; then
    sum=$(sha256sum "$1")
  else
    sum=$(shasum -a 256 "$1")
  fi
  echo "${sum%% *}"
}

# checksum::valid SUM: succeed when SUM is 64 hex digits.
checksum::valid() {
  [[ $1 =~ ^[0-9a-fA-F]{64}$ ]]
}

# checksum::verify FILE EXPECTED LABEL: succeed when FILE's SHA-256 is EXPECTED; otherwise say
# which file, what was expected and what was found, and fail.
checksum::verify() {
  local file=$1 expected=${2,,} label=$3 actual
  actual=$(checksum::of "$file")
  if [ "$actual" != "$expected" ]; then
    output::error "Checksum mismatch for $label" \
      "Expected SHA-256 $expected but the file has $actual: it is not the archive that was pinned (corrupted, truncated or replaced)." \
      "Check the URL and the pinned SHA-256 (ZDCD_BINARY_SHA256, or buildpack/SHA256SUMS for the pinned release); never pin a checksum you have not taken from a SHA256SUMS you trust."
    return 1
  fi
}
