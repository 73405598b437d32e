#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a Debian machine: PostgreSQL's server binaries,
# Django and psycopg2 for /usr/bin/python3, and shellcheck. Idempotent and quiet when everything
# is present; it never touches a package that is already installed.
set -euo pipefail

deps::missing() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      printf '%s\n' "$pkg"
    fi
  done
}

deps::install() {
  local -a missing
  mapfile -t missing < <(deps::missing postgresql python3-django python3-psycopg2 shellcheck)
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  echo "-----> Installing ${missing[*]} (apt-get)"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

deps::check_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo " !     Go is not installed or not on PATH: install Go 1.22+ (https://go.dev/dl/) and retry." >&2
    exit 1
  fi
}

deps::check_go
deps::install
