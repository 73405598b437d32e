#!/usr/bin/env bash
# buildpack/dist.sh — the release archives bin/compile installs, for `make dist` and the tests.
#   buildpack/dist.sh archive BINARY VERSION ARCH OUTDIR   write OUTDIR/zdcd-release-VERSION-linux-ARCH.tar.gz
#   buildpack/dist.sh sums OUTDIR                          write OUTDIR/SHA256SUMS for its archives
set -euo pipefail
BP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=buildpack/lib/output.sh
source "$BP_DIR/buildpack/lib/output.sh"
# shellcheck source=buildpack/lib/archive.sh
source "$BP_DIR/buildpack/lib/archive.sh"

case ${1:-} in
  archive)
    [ $# -eq 5 ] || { echo "usage: $0 archive BINARY VERSION ARCH OUTDIR" >&2; exit 2; }
    archive::create "$2" "$3" "$4" "$5" "$BP_DIR/LICENSE" "$BP_DIR/README.md"
    ;;
  sums)
    [ $# -eq 2 ] || { echo "usage: $0 sums OUTDIR" >&2; exit 2; }
    archive::sums "$2"
    ;;
  *)
    echo "usage: $0 archive BINARY VERSION ARCH OUTDIR | sums OUTDIR" >&2
    exit 2
    ;;
esac
