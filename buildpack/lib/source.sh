#!/usr/bin/env bash
# Building zdcd-release from the buildpack's own source. Heroku clones this repository to run
# bin/compile, so go.mod, go.sum, cmd/, internal/ and docs/ are beside bin/: when no published archive
# can be installed (placeholder checksums, or the pinned release is not on GitHub) or the config
# var ZDCD_BUILD_FROM_SOURCE=1 asks for it, bin/compile builds one with the pinned Go toolchain
# (lib/toolchain.sh) and the build image's C compiler (pg_query_go needs cgo).
# Everything lives under CACHE_DIR/zdcd-build/: go/ (the toolchain's archive), gomod/ (GOMODCACHE),
# gocache/ (GOCACHE) and bin/<key>/ (the last binary built, keyed by source tree, Go, arch, stack).
# Needs lib/output.sh, env.sh, checksum.sh, download.sh, release.sh and toolchain.sh.

# source::requested ENV_DIR: succeed when the config var ZDCD_BUILD_FROM_SOURCE asks for a build
# from source, fail (status 1) when it does not, fail with an error (status 2) on another value.
source::requested() {
  local value
  value=$(env::get "$1" ZDCD_BUILD_FROM_SOURCE)
  value=${value//[[:space:]]/}
  case ${value,,} in
    1 | true | yes | on) return 0 ;;
    "" | 0 | false | no | off) return 1 ;;
  esac
  output::error "ZDCD_BUILD_FROM_SOURCE must be 1 or 0" \
    "It is \"$value\"." \
    "heroku config:set ZDCD_BUILD_FROM_SOURCE=1 to build zdcd-release from the buildpack's source, or unset it."
  return 2
}

# source::present BP_DIR: succeed when BP_DIR holds zdcd's Go source.
source::present() {
  [ -f "$1/go.mod" ] && [ -f "$1/go.sum" ] && [ -d "$1/cmd/zdcd-release" ] && [ -d "$1/internal" ] &&
    [ -f "$1/docs/docs.go" ]
}

# source::tree_hash BP_DIR: print the SHA-256 of the source the binary is built from (go.mod,
# go.sum, cmd/, internal/ and the docs package with the rule pages it embeds: each file's path and
# content), the same for a git checkout and an archive of it.
source::tree_hash() {
  local sum
  sum=$(cd "$1" && find go.mod go.sum cmd internal docs/*.go docs/rules -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum)
  echo "${sum%% *}"
}

# source::commit BP_DIR: print the short commit BP_DIR is a git checkout of (", modified" when
# its source differs from that commit), or nothing when it is not a git checkout.
source::commit() {
  local bp_dir=$1 top commit
  command -v git >/dev/null || return 0
  top=$(git -C "$bp_dir" rev-parse --show-toplevel 2>/dev/null) || return 0
  [ "$(cd "$top" && pwd -P)" = "$(cd "$bp_dir" && pwd -P)" ] || return 0
  commit=$(git -C "$bp_dir" rev-parse --short=7 HEAD 2>/dev/null) || return 0
  if [ -n "$(git -C "$bp_dir" status --porcelain -- go.mod go.sum cmd internal 2>/dev/null)" ]; then
    commit+=", modified"
  fi
  echo "$commit"
}

# source::cc: print the C compiler cgo will use (CC, else gcc, else cc), or fail with title,
# cause and remedy.
source::cc() {
  local cc
  for cc in ${CC:-} gcc cc; do
    if command -v "$cc" >/dev/null; then
      echo "$cc"
      return 0
    fi
  done
  output::error "No C compiler: zdcd-release cannot be built here" \
    "zdcd-release parses SQL with pg_query (C code, built with cgo), and neither gcc nor cc is on PATH." \
    "Build on a Heroku stack (its build image has gcc), or set ZDCD_BINARY_URL and ZDCD_BINARY_SHA256 to a \`make dist\` archive."
  return 1
}

# source::elapsed SECONDS: print a duration the way Heroku's buildpacks do (42s, 1m42s).
source::elapsed() {
  if [ "$1" -lt 60 ]; then
    echo "$1s"
  else
    echo "$(($1 / 60))m$(($1 % 60))s"
  fi
}

# source::build BP_DIR ENV_DIR ARCH CACHE_DIR OUT: put a zdcd-release built from BP_DIR's source
# at OUT: the cached one when the source tree, Go version, architecture and STACK are those of the
# last build, else one built now (then cached). Fails with title, cause and remedy.
source::build() {
  local bp_dir=$1 env_dir=$2 arch=$3 cache_dir=$4 out=$5
  local go_version tree commit label key entry cc work proxy version start
  if ! source::present "$bp_dir"; then
    output::error "This buildpack has no source to build zdcd-release from" \
      "$bp_dir lacks go.mod, go.sum, cmd/zdcd-release, internal/ or docs/docs.go: it is not a checkout of the zdcd repository." \
      "Use the buildpack by its git URL (heroku buildpacks:add https://github.com/zdcd/zdcd), or set ZDCD_BINARY_URL and ZDCD_BINARY_SHA256."
    return 1
  fi
  go_version=$(toolchain::version "$bp_dir")
  tree=$(source::tree_hash "$bp_dir")
  commit=$(source::commit "$bp_dir")
  if [ -n "$commit" ]; then
    label="commit $commit"
  else
    label="source ${tree:0:12}"
  fi
  output::step "zdcd: building zdcd-release from source ($go_version, $label)"
  # The binary links the stack's glibc: a build for heroku-24 is not one for heroku-22.
  key=$(printf 'tree=%s\ngo=%s\narch=%s\nstack=%s\n' "$tree" "$go_version" "$arch" "${STACK:-}" | sha256sum)
  entry=$cache_dir/zdcd-build/bin/${key:0:16}
  if [ -f "$entry/zdcd-release" ] && [ -f "$entry/zdcd-release.sha256" ] && [ -f "$entry/built" ] &&
    [ "$(checksum::of "$entry/zdcd-release")" = "$(<"$entry/zdcd-release.sha256")" ]; then
    cp "$entry/zdcd-release" "$out"
    output::detail "Using cached build ($go_version, linux-$arch, ${STACK:-no STACK}, source ${tree:0:12}; $(<"$entry/built"))"
    return 0
  fi

  cc=$(source::cc) || return 1
  output::detail "C compiler: $("$cc" --version 2>/dev/null | head -1 || echo "$cc")"
  work=$(mktemp -d)
  start=$SECONDS
  if ! toolchain::install "$bp_dir" "$env_dir" "$arch" "$cache_dir" "$work/go"; then
    rm -rf "$work"
    return 1
  fi
  output::detail "Go toolchain ready in $(source::elapsed $((SECONDS - start))): $(GOTOOLCHAIN=local GOENV=off "$work/go/bin/go" version)"

  proxy=$(env::get "$env_dir" GOPROXY)
  proxy=${proxy:-https://proxy.golang.org,direct}
  # The version names the commit only when the source is that commit's.
  version="v$(release::version "$bp_dir")+src.${tree:0:12}"
  if [ -n "$commit" ] && [[ $commit != *modified ]]; then
    version="v$(release::version "$bp_dir")+src.$commit"
  fi
  if [ -n "$(ls -A "$cache_dir/zdcd-build/gocache" 2>/dev/null)" ]; then
    output::detail "Building (cgo, modules through GOPROXY=$(download::redact "$proxy"), Go's build cache from CACHE_DIR)"
  else
    output::detail "Building (cgo, modules through GOPROXY=$(download::redact "$proxy"); an empty build cache: pg_query's C code is compiled, a few minutes)"
  fi
  start=$SECONDS
  mkdir -p "$cache_dir/zdcd-build/gomod" "$cache_dir/zdcd-build/gocache"
  if ! (cd "$bp_dir" && env -u GOROOT -u GOOS -u GOARCH -u GOBIN -u GOEXPERIMENT \
    PATH="$work/go/bin:$PATH" GOTOOLCHAIN=local GOENV=off GOWORK=off GOPATH="$work/gopath" \
    GOMODCACHE="$cache_dir/zdcd-build/gomod" GOCACHE="$cache_dir/zdcd-build/gocache" \
    GOFLAGS="-mod=readonly -modcacherw" GOPROXY="$proxy" CGO_ENABLED=1 CC="$cc" \
    go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X github.com/zdcd/zdcd/internal/version.Version=$version" \
    -o "$out" ./cmd/zdcd-release) 2>&1 | output::indent; then
    rm -rf "$work"
    output::error "Building zdcd-release from source failed" \
      "go build failed; its output is above." \
      "If a module download failed, check that the build reaches GOPROXY ($(download::redact "$proxy")); otherwise set ZDCD_BINARY_URL and ZDCD_BINARY_SHA256 to a \`make dist\` archive, and report the output above."
    return 1
  fi
  rm -rf "$work"
  output::detail "Built in $(source::elapsed $((SECONDS - start)))"

  rm -rf "$cache_dir/zdcd-build/bin"
  mkdir -p "$entry"
  cp "$out" "$entry/zdcd-release"
  checksum::of "$out" >"$entry/zdcd-release.sha256"
  echo "built $(date -u '+%Y-%m-%d %H:%M UTC')" >"$entry/built"
  output::detail "Cached for the next builds with this source and Go (CACHE_DIR/zdcd-build)"
}
