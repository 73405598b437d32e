#!/usr/bin/env bash
# The build cache keeps the last verified archive between builds, keyed by its URL and SHA-256:
# a new version, URL or checksum is a new key, and older entries are dropped.

# cache::path CACHE_DIR URL SHA256: print where the archive of URL with SHA256 is cached.
cache::path() {
  local key
  key=$(printf '%s\n%s\n' "$2" "${3,,}" | sha256sum)
  echo "$1/zdcd/${key%% *}.tar.gz"
}

# cache::store FILE CACHED: keep FILE as CACHED, the only entry of its cache directory.
cache::store() {
  local file=$1 cached=$2 dir
  dir=$(dirname "$cached")
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$file" "$cached.tmp"
  mv "$cached.tmp" "$cached"
}
