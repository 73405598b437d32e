#!/usr/bin/env bash
# The pinned release: buildpack/VERSION holds the version, buildpack/SHA256SUMS the SHA256SUMS
# file `make dist` wrote for it, verbatim. Archives are named by archive::name (lib/archive.sh).

# release::version BP_DIR: print the pinned version.
release::version() {
  local version
  version=$(<"$1/buildpack/VERSION")
  echo "${version//[[:space:]]/}"
}

# release::url VERSION ARCH [MIRROR]: print the URL of the archive for ARCH, on GitHub or under
# MIRROR, a copy of GitHub's releases/download tree (MIRROR/v<version>/<archive>).
release::url() {
  local version=$1 arch=$2 base=${3:-https://github.com/zdcd/zdcd/releases/download}
  echo "${base%/}/v$version/$(archive::name "$version" "$arch")"
}

# release::sha256 BP_DIR VERSION ARCH: print the pinned SHA-256 of the archive, or fail.
release::sha256() {
  local bp_dir=$1 name sum file
  name=$(archive::name "$2" "$3")
  while read -r sum file; do
    if [ "${file#\*}" = "$name" ]; then
      echo "$sum"
      return 0
    fi
  done <"$bp_dir/buildpack/SHA256SUMS"
  return 1
}

# release::placeholder SUM: succeed when SUM is the all-zero placeholder of an unpublished release.
release::placeholder() {
  [[ $1 =~ ^0{64}$ ]]
}
