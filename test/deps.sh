#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a Debian machine: PostgreSQL's server binaries,
# Django and psycopg2 for /usr/bin/python3, PgBouncer (the pooler tests run the release through it
# in session mode), and shellcheck. Idempotent and quiet when everything
# is present; it never touches a package that is already installed.
#
# It also unpacks "extra Djangos" for the version tests of internal/django (versions_test.go):
# Debian's python3-django of other releases (4.2 from trixie, 5.x from sid, or from testing once
# sid has moved past 5.x: Django 6 needs a newer Python than bookworm's 3.11), with the asgiref and
# sqlparse of the same release, never installed: `dpkg-deb -x` into
# $ZDCD_EXTRA_DJANGO/<major.minor>/ (default ${ZDCD_CACHE_DIR:-$HOME/.cache/zdcd}/django), which
# /usr/bin/python3 imports with PYTHONPATH=<that>/usr/lib/python3/dist-packages. Package files are
# resolved from the suite's Packages index each time (security updates rename them) and checked
# against its SHA256. ZDCD_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -euo pipefail

DEPS_MIRROR="${ZDCD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEPS_EXTRA_DJANGO="${ZDCD_EXTRA_DJANGO:-${ZDCD_CACHE_DIR:-$HOME/.cache/zdcd}/django}"
DEPS_PYTHON="${ZDCD_PYTHON:-/usr/bin/python3}"
DEPS_TMP=""

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
  mapfile -t missing < <(deps::missing postgresql python3-django python3-psycopg2 pgbouncer shellcheck curl xz-utils)
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

deps::tmp() {
  if [ -z "$DEPS_TMP" ]; then
    mkdir -p "$DEPS_EXTRA_DJANGO"
    # Inside the destination, so that an unpacked tree is moved into place, never copied.
    DEPS_TMP=$(mktemp -d "$DEPS_EXTRA_DJANGO/.tmp.XXXXXX")
    trap 'rm -rf "$DEPS_TMP"' EXIT
  fi
}

# django::version DIR: the version of the Django unpacked in DIR, when $DEPS_PYTHON imports it,
# its asgiref and its sqlparse from there (not the system's); fails otherwise.
django::version() {
  PYTHONPATH="$1/usr/lib/python3/dist-packages" PYTHONNOUSERSITE=1 "$DEPS_PYTHON" -B -c '
import os, sys
import asgiref, sqlparse, django
from django.db.migrations.executor import MigrationExecutor
for module in (asgiref, sqlparse, django):
    if not os.path.realpath(module.__file__).startswith(os.path.realpath(sys.argv[1]) + os.sep):
        sys.exit("%s comes from %s" % (module.__name__, module.__file__))
print(django.get_version())' "$1" 2>/dev/null
}

# django::present PATTERN: whether a working Django whose major.minor matches PATTERN ("4.2",
# "5.*") is unpacked in its <major.minor> directory.
django::present() {
  local dir series version
  for dir in "$DEPS_EXTRA_DJANGO"/*/; do
    dir=${dir%/}
    series=${dir##*/}
    # shellcheck disable=SC2254 # PATTERN is a glob on purpose
    case $series in
      $1) ;;
      *) continue ;;
    esac
    if version=$(django::version "$dir") && [[ $version == "$series".* ]]; then
      return 0
    fi
  done
  return 1
}

# django::fetch URL FILE: download, or stop with a message naming the archive.
django::fetch() {
  if ! curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1" 2>"$DEPS_TMP/curl.err"; then
    echo " !     Cannot download $1 ($(tail -n 1 "$DEPS_TMP/curl.err")): the version tests of internal/django need Django 4.2 and 5.x from Debian's archive. Check the network or set ZDCD_DEBIAN_MIRROR." >&2
    exit 1
  fi
}

# django::field INDEX PACKAGE FIELD: FIELD of PACKAGE's entry in the (uncompressed) Packages INDEX.
django::field() {
  awk -v pkg="$2" -v field="$3" '
    /^$/ { inside = 0 }
    /^Package: / { inside = ($2 == pkg) }
    inside && index($0, field ": ") == 1 { print substr($0, length(field) + 3); exit }
  ' "$1"
}

# django::install PATTERN SUITE...: unless present, unpack python3-django matching PATTERN with its
# asgiref and sqlparse, from the first SUITE whose python3-django matches.
django::install() {
  local pattern=$1 suite index version series="" pkg file sha deb found=()
  shift
  if django::present "$pattern"; then
    return 0
  fi
  deps::tmp
  for suite in "$@"; do
    index="$DEPS_TMP/$suite.Packages"
    django::fetch "$DEPS_MIRROR/dists/$suite/main/binary-all/Packages.xz" "$index.xz"
    xz -d "$index.xz"
    version=$(django::field "$index" python3-django Version)
    version=${version#*:}      # the epoch
    version=${version%-*}      # the Debian revision
    series=$(printf '%s\n' "$version" | grep -oE '^[0-9]+\.[0-9]+' || true)
    found+=("$suite: ${version:-none}")
    # shellcheck disable=SC2254 # PATTERN is a glob on purpose
    case $series in
      $pattern) break ;;
      *) series="" ;;
    esac
  done
  if [ -z "$series" ]; then
    echo " !     No Debian suite has a python3-django $pattern (${found[*]}): update the suites in test/deps.sh." >&2
    exit 1
  fi
  echo "-----> Unpacking Django $version from Debian $suite into $DEPS_EXTRA_DJANGO/$series"
  local tree="$DEPS_TMP/$series"
  rm -rf "$tree"
  mkdir -p "$tree"
  for pkg in python3-django python3-asgiref python3-sqlparse; do
    file=$(django::field "$index" "$pkg" Filename)
    sha=$(django::field "$index" "$pkg" SHA256)
    if [ -z "$file" ] || [ -z "$sha" ]; then
      echo " !     $pkg is not in Debian $suite's Packages index." >&2
      exit 1
    fi
    deb="$DEPS_TMP/${file##*/}"
    django::fetch "$DEPS_MIRROR/$file" "$deb"
    if ! printf '%s  %s\n' "$sha" "$deb" | sha256sum --check --quiet --status; then
      echo " !     $DEPS_MIRROR/$file does not match the SHA256 of Debian $suite's Packages index." >&2
      exit 1
    fi
    dpkg-deb -x "$deb" "$tree"
  done
  # Byte-code now, once: the tests run Python with -B, which reads it but never writes it. An
  # optimisation only: the import check below is what counts.
  "$DEPS_PYTHON" -m compileall -qq "$tree/usr/lib/python3/dist-packages" >/dev/null || true
  if ! django::version "$tree" >/dev/null; then
    echo " !     Django $version from Debian $suite does not import with $DEPS_PYTHON." >&2
    exit 1
  fi
  rm -rf "${DEPS_EXTRA_DJANGO:?}/$series"
  mv "$tree" "$DEPS_EXTRA_DJANGO/$series"
}

deps::check_go
deps::install
django::install 4.2 trixie
django::install '5.*' sid testing
