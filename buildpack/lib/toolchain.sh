#!/usr/bin/env bash
# The Go toolchain that builds zdcd-release from source (lib/source.sh): the version pinned in
# buildpack/GO_VERSION, fetched and verified against buildpack/GO_SHA256SUMS before it is used.
# Two sources:
#   - the Go module proxy (default): module golang.org/toolchain, version v0.0.1-<go>.linux-<arch>,
#     at <proxy>/golang.org/toolchain/@v/<version>.zip, the zip the go command itself downloads
#     when it switches toolchains; the proxies are the config var GOPROXY's URLs, in order
#     (default https://proxy.golang.org);
#   - a copy of go.dev/dl (config var ZDCD_GO_MIRROR): <mirror>/<go>.linux-<arch>.tar.gz, the
#     official tarball, pinned by a line in GO_SHA256SUMS or by the config var ZDCD_GO_SHA256.
# The verified download is kept in CACHE_DIR/zdcd-build/go/ for the next build.
# Needs lib/output.sh, env.sh, checksum.sh and download.sh.

# toolchain::version BP_DIR: print the pinned Go version (go1.26.8).
toolchain::version() {
  local version
  version=$(<"$1/buildpack/GO_VERSION")
  echo "${version//[[:space:]]/}"
}

# toolchain::module_file VERSION ARCH: print the module proxy's zip name of the toolchain.
toolchain::module_file() {
  echo "v0.0.1-$1.linux-$2.zip"
}

# toolchain::tarball_file VERSION ARCH: print the official tarball's name.
toolchain::tarball_file() {
  echo "$1.linux-$2.tar.gz"
}

# toolchain::pinned BP_DIR FILE: print the SHA-256 GO_SHA256SUMS pins for FILE, or fail.
toolchain::pinned() {
  local sum file
  while read -r sum file; do
    if [ "${file#\*}" = "$2" ] && checksum::valid "$sum"; then
      echo "${sum,,}"
      return 0
    fi
  done <"$1/buildpack/GO_SHA256SUMS"
  return 1
}

# toolchain::proxies GOPROXY: print the URLs of a GOPROXY list, one a line, in order ("direct"
# and "off" are not proxies); https://proxy.golang.org when it names none.
toolchain::proxies() {
  local list=${1:-} entry found=""
  for entry in ${list//[,|]/ }; do
    case $entry in
      http://* | https://* | file://*)
        echo "${entry%/}"
        found=1
        ;;
    esac
  done
  if [ -z "$found" ]; then
    echo "https://proxy.golang.org"
  fi
}

# toolchain::sources BP_DIR ENV_DIR ARCH: print "URL<TAB>SHA256<TAB>FILE" for each place to fetch
# the toolchain from, in the order to try, or fail with title, cause and remedy.
toolchain::sources() {
  local bp_dir=$1 env_dir=$2 arch=$3 version mirror file sha proxy
  version=$(toolchain::version "$bp_dir")
  mirror=$(env::get "$env_dir" ZDCD_GO_MIRROR)
  sha=$(env::get "$env_dir" ZDCD_GO_SHA256)
  sha=${sha//[[:space:]]/}
  if [ -n "$sha" ] && { [ -z "$mirror" ] || ! checksum::valid "$sha"; }; then
    output::error "ZDCD_GO_SHA256 must be the SHA-256 of the tarball at ZDCD_GO_MIRROR" \
      "$([ -z "$mirror" ] && echo "ZDCD_GO_MIRROR is not set" || echo "It is not 64 hexadecimal digits: \"$sha\"")." \
      "Set ZDCD_GO_MIRROR to a copy of https://go.dev/dl and ZDCD_GO_SHA256 to its $(toolchain::tarball_file "$version" "$arch") checksum (listed on go.dev/dl), or unset both to use the Go module proxy."
    return 1
  fi
  if [ -n "$mirror" ]; then
    file=$(toolchain::tarball_file "$version" "$arch")
    if [ -z "$sha" ] && ! sha=$(toolchain::pinned "$bp_dir" "$file"); then
      output::error "No pinned SHA-256 for $file" \
        "ZDCD_GO_MIRROR is set, and buildpack/GO_SHA256SUMS pins only the Go module proxy's zips; nothing is used unverified." \
        "heroku config:set ZDCD_GO_SHA256=<the SHA-256 of $file from https://go.dev/dl>, or unset ZDCD_GO_MIRROR to use the Go module proxy (GOPROXY)."
      return 1
    fi
    printf '%s\t%s\t%s\n' "${mirror%/}/$file" "$sha" "$file"
    return 0
  fi
  file=$(toolchain::module_file "$version" "$arch")
  if ! sha=$(toolchain::pinned "$bp_dir" "$file"); then
    output::error "No pinned SHA-256 for the Go toolchain $file" \
      "buildpack/GO_SHA256SUMS has no line for $version on linux-$arch." \
      "Use a buildpack whose GO_SHA256SUMS lists linux-$arch, or set ZDCD_BINARY_URL to a \`make dist\` archive."
    return 1
  fi
  while read -r proxy; do
    printf '%s\t%s\t%s\n' "$proxy/golang.org/toolchain/@v/$file" "$sha" "$file"
  done < <(toolchain::proxies "$(env::get "$env_dir" GOPROXY)")
}

# toolchain::install BP_DIR ENV_DIR ARCH CACHE_DIR GOROOT: install the verified toolchain so that
# GOROOT/bin/go runs, from the build cache, else from the first source that serves it (then
# cached). A download whose SHA-256 differs from the pin is a hard error, never retried elsewhere.
toolchain::install() {
  local bp_dir=$1 env_dir=$2 arch=$3 cache_dir=$4 goroot=$5 sources url sha file cached archive tried=""
  sources=$(toolchain::sources "$bp_dir" "$env_dir" "$arch") || return 1
  archive=$(mktemp -d)
  while IFS=$'\t' read -r url sha file; do
    cached=$cache_dir/zdcd-build/go/$file
    if [ -f "$cached" ]; then
      if [ "$(checksum::of "$cached")" = "$sha" ]; then
        output::detail "Using the Go toolchain from the build cache (no download): $file"
        toolchain::unpack "$cached" "$file" "$goroot" || return 1
        rm -rf "$archive"
        return 0
      fi
      output::detail "The cached Go toolchain no longer matches its SHA-256; downloading it again."
      rm -f "$cached"
    fi
    output::detail "Downloading $(download::redact "$url")"
    if ! download::fetch "$url" "$archive/$file" quiet; then
      output::detail "Not served there."
      tried+=" $(download::redact "$url")"
      continue
    fi
    checksum::verify "$archive/$file" "$sha" "the Go toolchain $(download::redact "$url")" || return 1
    output::detail "SHA-256 verified: $sha"
    toolchain::unpack "$archive/$file" "$file" "$goroot" || return 1
    rm -rf "$cache_dir/zdcd-build/go"
    mkdir -p "$cache_dir/zdcd-build/go"
    mv "$archive/$file" "$cached"
    rm -rf "$archive"
    return 0
  done <<<"$sources"
  rm -rf "$archive"
  output::error "Cannot download the Go toolchain" \
    "No source served it:$tried" \
    "Check that the build reaches the Go module proxy, or set GOPROXY to a proxy that serves golang.org/toolchain (or ZDCD_GO_MIRROR to a copy of go.dev/dl), or set ZDCD_BINARY_URL to a \`make dist\` archive."
  return 1
}

# toolchain::unpack ARCHIVE FILE DIR: unpack the toolchain ARCHIVE (named FILE) so that DIR is its
# GOROOT (DIR/bin/go), or fail.
toolchain::unpack() {
  local archive=$1 file=$2 dir=$3 tmp err root
  tmp=$(mktemp -d)
  case $file in
    *.zip)
      if ! command -v unzip >/dev/null; then
        output::error "Cannot unpack the Go toolchain: no unzip" \
          "The Go module proxy serves the toolchain as a zip, and unzip is not on PATH." \
          "Build on Heroku's build image (it has unzip), or set ZDCD_GO_MIRROR to a copy of go.dev/dl (tarballs)."
        return 1
      fi
      err=$(unzip -q "$archive" -d "$tmp" 2>&1) || {
        output::error "Cannot unpack the Go toolchain $file" "unzip: ${err:-failed}" "Purge the build cache (heroku builds:cache:purge) and build again."
        return 1
      }
      root=$tmp/golang.org/toolchain@${file%.zip}
      ;;
    *)
      err=$(tar -xzf "$archive" -C "$tmp" 2>&1) || {
        output::error "Cannot unpack the Go toolchain $file" "tar: ${err:-failed}" "Check that ZDCD_GO_MIRROR serves the official tarballs of go.dev/dl."
        return 1
      }
      root=$tmp/go
      ;;
  esac
  if [ ! -f "$root/bin/go" ]; then
    output::error "The Go toolchain $file has no bin/go" \
      "Expected $(basename "$root")/bin/go inside it." \
      "Check that the mirror serves the Go distribution unchanged (its SHA-256 was the pinned one, so the pin is wrong)."
    return 1
  fi
  # Module zips carry file modes in practice, but the module zip format does not promise them.
  chmod -R a+rX,u+w "$root"
  find "$root/bin" "$root/pkg/tool" -type f -exec chmod a+x {} +
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$root" "$dir"
  rm -rf "$tmp"
}
