#!/usr/bin/env bash
# Installing zdcd-release on the slug: pick the source (ZDCD_BINARY_URL, the pinned release, or a
# build from the buildpack's source, lib/source.sh), get the archive from the build cache or
# download it and verify its SHA-256, install the binary into a directory of its own
# (BUILD_DIR/.zdcd/bin, never the app's bin/) and put that directory on every dyno's PATH.
# Needs lib/output.sh, env.sh, release.sh, archive.sh, checksum.sh, download.sh, cache.sh, source.sh.

# install::source BP_DIR ENV_DIR ARCH: print where zdcd-release comes from, one line of tab-separated
# fields, or fail with title, cause and remedy:
#   url URL SHA256       the archive at ZDCD_BINARY_URL (SHA256 "-": an unverified file:// URL)
#   release URL SHA256   the pinned release
#   source REASON        a build from the buildpack's source (unpublished, or ZDCD_BUILD_FROM_SOURCE=1)
install::source() {
  local bp_dir=$1 env_dir=$2 arch=$3 url sha version requested=0
  url=$(env::get "$env_dir" ZDCD_BINARY_URL)
  sha=$(env::get "$env_dir" ZDCD_BINARY_SHA256)
  sha=${sha//[[:space:]]/}
  source::requested "$env_dir" || requested=$?
  if [ "$requested" -eq 2 ]; then
    return 1
  fi
  if [ "$requested" -eq 0 ]; then
    if [ -n "$url" ]; then
      output::error "ZDCD_BUILD_FROM_SOURCE=1 and ZDCD_BINARY_URL are both set" \
        "One asks to build zdcd-release from the buildpack's source, the other to install the archive at $url." \
        "Unset one of them: heroku config:unset ZDCD_BUILD_FROM_SOURCE (or ZDCD_BINARY_URL ZDCD_BINARY_SHA256)."
      return 1
    fi
    printf 'source\t%s\n' "ZDCD_BUILD_FROM_SOURCE=1: building zdcd-release from this buildpack's source."
    return 0
  fi
  if [ -n "$sha" ] && ! checksum::valid "$sha"; then
    output::error "ZDCD_BINARY_SHA256 is not a SHA-256" \
      "It must be 64 hexadecimal digits; it is \"$sha\"." \
      "Set it to the archive's line in SHA256SUMS, or to the output of: sha256sum <archive>"
    return 1
  fi
  if [ -n "$url" ]; then
    case $url in
      file://*) ;;
      http://* | https://*)
        if [ -z "$sha" ]; then
          output::error "ZDCD_BINARY_SHA256 is required with an http(s) ZDCD_BINARY_URL" \
            "Nothing downloaded over the network is installed unverified; ZDCD_BINARY_URL is $url." \
            "heroku config:set ZDCD_BINARY_SHA256=<the archive's SHA-256 from its SHA256SUMS>"
          return 1
        fi
        ;;
      *)
        output::error "ZDCD_BINARY_URL must be an https://, http:// or file:// URL" \
          "It is \"$url\"." \
          "Point it at a zdcd-release-<version>-linux-$arch.tar.gz archive, or unset it to use the pinned release."
        return 1
        ;;
    esac
    printf 'url\t%s\t%s\n' "$url" "${sha:--}"
    return 0
  fi
  if [ -n "$sha" ]; then
    output::error "ZDCD_BINARY_SHA256 is set without ZDCD_BINARY_URL" \
      "The pinned release has its own checksums (buildpack/SHA256SUMS); a lone ZDCD_BINARY_SHA256 would be ignored." \
      "Set ZDCD_BINARY_URL too, or unset ZDCD_BINARY_SHA256."
    return 1
  fi
  version=$(release::version "$bp_dir")
  if ! sha=$(release::sha256 "$bp_dir" "$version" "$arch"); then
    output::error "No pinned checksum for $(archive::name "$version" "$arch")" \
      "buildpack/SHA256SUMS has no line for this version and architecture." \
      "Use a buildpack release whose SHA256SUMS lists linux-$arch, or set ZDCD_BINARY_URL and ZDCD_BINARY_SHA256."
    return 1
  fi
  if release::placeholder "$sha"; then
    printf 'source\t%s\n' "zdcd-release $version is not published (placeholder checksums in buildpack/SHA256SUMS): building it from this buildpack's source."
    return 0
  fi
  printf 'release\t%s\t%s\n' "$(release::url "$version" "$arch" "$(env::get "$env_dir" ZDCD_RELEASE_MIRROR)")" "$sha"
}

# install::fetch URL SHA256 CACHE_DIR DEST [missing-ok]: put the verified archive at DEST, from the
# build cache when it holds it, else downloaded (then cached). SHA256 "-" copies without verifying
# or caching (file:// only, see install::source). With missing-ok, a 404 returns 44 quietly.
install::fetch() {
  local url=$1 sha=$2 cache_dir=$3 dest=$4 mode=${5:-} cached rc=0
  if [ "$sha" = - ]; then
    output::detail "Copying $url"
    download::fetch "$url" "$dest" || return 1
    output::detail "Not verified: no ZDCD_BINARY_SHA256 (allowed for file:// only); not cached."
    output::detail "Its SHA-256 is $(checksum::of "$dest"); set ZDCD_BINARY_SHA256 to it to verify and cache it."
    return 0
  fi
  cached=$(cache::path "$cache_dir" "$url" "$sha")
  if [ -f "$cached" ]; then
    if [ "$(checksum::of "$cached")" = "${sha,,}" ]; then
      cp "$cached" "$dest"
      output::detail "Using the archive from the build cache (no download): $url"
      output::detail "SHA-256 verified: ${sha,,}"
      return 0
    fi
    output::detail "The cached archive no longer matches its SHA-256; downloading it again."
    rm -f "$cached"
  fi
  output::detail "Downloading $(download::redact "$url")"
  download::fetch "$url" "$dest" "$mode" || rc=$?
  if [ "$rc" -ne 0 ]; then
    return "$rc"
  fi
  checksum::verify "$dest" "$sha" "$url" || return 1
  output::detail "SHA-256 verified: ${sha,,}"
  cache::store "$dest" "$cached"
}

# install::binary ARCHIVE BUILD_DIR: unpack zdcd-release into BUILD_DIR/.zdcd/bin and check that
# it runs here (the build runs on the app's stack), or fail.
install::binary() {
  local archive=$1 build_dir=$2 unpacked
  unpacked=$(mktemp -d)
  archive::extract "$archive" "$unpacked" || return 1
  install::executable "$unpacked/zdcd-release" "$build_dir" || return 1
  rm -rf "$unpacked"
}

# install::executable BINARY BUILD_DIR: install BINARY as BUILD_DIR/.zdcd/bin/zdcd-release and
# check that it runs here, or fail.
install::executable() {
  local build_dir=$2 bin version
  bin=$build_dir/.zdcd/bin/zdcd-release
  mkdir -p "$(dirname "$bin")"
  install -m 0755 "$1" "$bin"
  if ! version=$("$bin" version 2>&1); then
    output::error "zdcd-release does not run on this stack (${STACK:-unknown stack}, $(uname -m))" \
      "\`zdcd-release version\` failed: ${version:-no output}" \
      "Use an archive built for linux-$(platform::arch_of "$(uname -m)" || uname -m) by \`make dist\` (static, so it runs on heroku-22 and heroku-24)."
    return 1
  fi
  output::detail "Installed .zdcd/bin/zdcd-release ($version)"
}

# install::path BUILD_DIR BP_DIR: put .zdcd/bin on PATH in every dyno, the release dyno included
# (.profile.d is sourced before each dyno's command, with HOME=/app), and for the buildpacks that
# run after this one in the same build (BP_DIR/export).
install::path() {
  local build_dir=$1 bp_dir=$2
  mkdir -p "$build_dir/.profile.d"
  cat >"$build_dir/.profile.d/zdcd.sh" <<'PROFILE'
# Written by the zdcd buildpack: zdcd-release on PATH in every dyno, the release dyno included.
export PATH="$HOME/.zdcd/bin:$PATH"
PROFILE
  # shellcheck disable=SC2016 # $PATH expands when a later buildpack sources the file.
  printf 'export PATH=%q/.zdcd/bin:"$PATH"\n' "$build_dir" >"$bp_dir/export"
  output::detail "Added .zdcd/bin to PATH (.profile.d/zdcd.sh)"
}
