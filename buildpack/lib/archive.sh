#!/usr/bin/env bash
# The release archive, written by `make dist` (through buildpack/dist.sh) and read by bin/compile:
# a gzip'd tar with zdcd-release at its root (plus LICENSE and README.md when the repository has
# them), named zdcd-release-<version>-linux-<arch>.tar.gz and listed in SHA256SUMS.

# archive::name VERSION ARCH: print the archive's file name.
archive::name() {
  echo "zdcd-release-$1-linux-$2.tar.gz"
}

# archive::create BINARY VERSION ARCH OUTDIR [EXTRA…]: write OUTDIR/<archive::name> holding BINARY
# as zdcd-release and each EXTRA file that exists, reproducibly (sorted, root-owned, fixed mtime,
# no gzip timestamp); print its path.
archive::create() {
  local binary=$1 version=$2 arch=$3 outdir=$4 stage out extra
  shift 4
  stage=$(mktemp -d)
  install -m 0755 "$binary" "$stage/zdcd-release"
  local members=(zdcd-release)
  for extra in "$@"; do
    if [ -f "$extra" ]; then
      install -m 0644 "$extra" "$stage/$(basename "$extra")"
      members+=("$(basename "$extra")")
    fi
  done
  mkdir -p "$outdir"
  out="$outdir/$(archive::name "$version" "$arch")"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
    -C "$stage" -cf - "${members[@]}" | gzip -n -9 >"$out"
  rm -rf "$stage"
  echo "$out"
}

# archive::sums DIR: write DIR/SHA256SUMS for the archives in DIR (the format of `sha256sum`).
archive::sums() {
  (cd "$1" && sha256sum -- zdcd-release-*.tar.gz >SHA256SUMS)
}

# archive::extract ARCHIVE DIR: unpack ARCHIVE into DIR and check it holds zdcd-release, or fail.
archive::extract() {
  local archive=$1 dir=$2 err
  if ! err=$(tar -xzf "$archive" -C "$dir" 2>&1); then
    output::error "Cannot unpack the zdcd-release archive" \
      "tar: ${err:-failed}" \
      "The URL must point at a .tar.gz release archive as \`make dist\` writes it."
    return 1
  fi
  if [ ! -f "$dir/zdcd-release" ]; then
    output::error "The archive has no zdcd-release at its root" \
      "It holds: $(tar -tzf "$archive" | head -5 | tr '\n' ' ')" \
      "Build the archive with \`make dist\` (buildpack/dist.sh), which puts zdcd-release at the root."
    return 1
  fi
}
