#!/usr/bin/env bash
# The architecture a release archive is built for, in Go's names (linux-amd64, linux-arm64).

# platform::arch_of MACHINE: print the Go architecture of a `uname -m` machine name, or fail.
platform::arch_of() {
  case $1 in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) return 1 ;;
  esac
}

# platform::arch: print the Go architecture of this machine, or fail with title, cause and remedy.
platform::arch() {
  local machine
  machine=$(uname -m)
  if ! platform::arch_of "$machine"; then
    output::error "Unsupported architecture: $machine" \
      "zdcd-release is published for x86_64 (amd64) and aarch64 (arm64) only." \
      "Build on a heroku-22 or heroku-24 stack, or build zdcd-release yourself and set ZDCD_BINARY_URL."
    return 1
  fi
}
