#!/usr/bin/env bash
# Installs what `make test` and `make demo` need on a Debian machine: PostgreSQL's server binaries,
# Django and psycopg2 for /usr/bin/python3, PgBouncer (the pooler tests run the release through it
# in session mode), and shellcheck. Idempotent and quiet when everything
# is present; it never touches a package that is already installed.
#
# It also unpacks "extra Djangos" for the version tests of internal/django (versions_test.go):
# Debian's python3-django of other releases (4.2 from trixie, 5.x from sid, or from testing once
# sid has moved past 5.x; 6.x from experimental, or sid once it has it), with the asgiref and
# sqlparse of the same release (experimental holds only what differs from sid, so sid's for it:
# https://wiki.debian.org/DebianExperimental), never installed: `dpkg-deb -x` into
# $ZDCD_EXTRA_DJANGO/<major.minor>/ (default ${ZDCD_CACHE_DIR:-$HOME/.cache/zdcd}/django), which an
# interpreter imports with PYTHONPATH=<that>/usr/lib/python3/dist-packages. Package files are
# resolved from the suite's Packages index each time (security updates rename them) and checked
# against its SHA256. ZDCD_DEBIAN_MIRROR overrides http://deb.debian.org/debian.
#
# And psycopg 3, for the "Django 5.x + psycopg 3" and "Django 6.x + psycopg 3" tests: sid's
# python3-psycopg with python3-typing-extensions, unpacked the same way into
# $ZDCD_EXTRA_DJANGO/psycopg3/, with a symlink $ZDCD_EXTRA_DJANGO/psycopg3/python to the interpreter
# those tests run. python3-psycopg is pure Python: its psycopg.pq loads the machine's libpq
# (libpq5, bookworm's 15) through ctypes, so it needs no C part (python3-psycopg-c is only
# Recommended, and not unpacked: psycopg then runs its "python" implementation,
# https://www.psycopg.org/psycopg3/docs/basic/install.html). A libpq older than psycopg's newest
# is fine: psycopg.pq looks each function up by libpq version, and only those of newer libpqs
# refuse, when called (not_supported_before in psycopg/pq/_pq_ctypes.py; cancel_safe() falls back
# to cancel() before libpq 17); psycopg::version checks that it imports and loads libpq. Its
# typing_extensions import is for Pythons before 3.13 (the package Depends on
# "python3-supported-min (>= 3.13) | python3-typing-extensions"); unpacking it keeps a 3.12 working.
# The interpreter is not /usr/bin/python3: bookworm's 3.11 is too old for Django 6 (Python 3.12+,
# https://docs.djangoproject.com/en/6.0/releases/6.0/#python-compatibility), and it sees Debian's
# psycopg2 (2.9.5, which Django 6.1 refuses: it needs 2.9.9+), which would make a psycopg 3 test
# depend on import order. It is $ZDCD_PSYCOPG3_PYTHON if set, else pyenv's newest 3.13 (sid's python3 is 3.13: the
# version Debian builds and tests these packages with), else its newest 3.12
# (${PYENV_ROOT:-$HOME/.pyenv}/versions/; PATH is never trusted). A pyenv interpreter sees neither
# Debian's dist-packages nor psycopg2, so Django there can only pick psycopg 3.
set -euo pipefail

DEPS_MIRROR="${ZDCD_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
DEPS_EXTRA_DJANGO="${ZDCD_EXTRA_DJANGO:-${ZDCD_CACHE_DIR:-$HOME/.cache/zdcd}/django}"
DEPS_PYTHON="${ZDCD_PYTHON:-/usr/bin/python3}"
DEPS_PSYCOPG="$DEPS_EXTRA_DJANGO/psycopg3"
DEPS_PSYCOPG_PYTHON="" # set by psycopg::choose
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
  mapfile -t missing < <(deps::missing postgresql python3-django python3-psycopg2 libpq5 pgbouncer shellcheck curl xz-utils)
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

# django::version DIR PYTHON: the version of the Django unpacked in DIR, when PYTHON imports it,
# its asgiref and its sqlparse from there (not the system's); fails otherwise.
django::version() {
  PYTHONPATH="$1/usr/lib/python3/dist-packages" PYTHONNOUSERSITE=1 "$2" -B -c '
import os, sys
import asgiref, sqlparse, django
from django.db.migrations.executor import MigrationExecutor
for module in (asgiref, sqlparse, django):
    if not os.path.realpath(module.__file__).startswith(os.path.realpath(sys.argv[1]) + os.sep):
        sys.exit("%s comes from %s" % (module.__name__, module.__file__))
print(django.get_version())' "$1" 2>/dev/null
}

# django::present PATTERN PYTHON: whether a Django whose major.minor matches PATTERN ("4.2",
# "5.*") is unpacked in its <major.minor> directory and works with PYTHON.
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
    if version=$(django::version "$dir" "$2") && [[ $version == "$series".* ]]; then
      return 0
    fi
  done
  return 1
}

# django::fetch URL FILE: download, or stop with a message naming the archive.
django::fetch() {
  if ! curl -fsSL --retry 2 --connect-timeout 20 -o "$2" "$1" 2>"$DEPS_TMP/curl.err"; then
    echo " !     Cannot download $1 ($(tail -n 1 "$DEPS_TMP/curl.err")): the version tests need Django 4.2, 5.x and 6.x and psycopg 3 from Debian's archive. Check the network or set ZDCD_DEBIAN_MIRROR." >&2
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

# deps::index SUITE: fetch SUITE's Packages index (architecture "all") once per run, uncompressed,
# to $DEPS_TMP/SUITE.Packages.
deps::index() {
  local index="$DEPS_TMP/$1.Packages"
  if [ ! -f "$index" ]; then
    django::fetch "$DEPS_MIRROR/dists/$1/main/binary-all/Packages.xz" "$index.xz"
    xz -d "$index.xz"
  fi
}

# deps::unpack TREE PACKAGE SUITE...: `dpkg-deb -x` PACKAGE into TREE, from the first SUITE whose
# (already fetched) index lists it, after checking the .deb against that index's SHA256.
deps::unpack() {
  local tree=$1 pkg=$2 suite index file="" sha="" deb
  shift 2
  for suite in "$@"; do
    index="$DEPS_TMP/$suite.Packages"
    file=$(django::field "$index" "$pkg" Filename)
    sha=$(django::field "$index" "$pkg" SHA256)
    if [ -n "$file" ] && [ -n "$sha" ]; then
      break
    fi
  done
  if [ -z "$file" ] || [ -z "$sha" ]; then
    echo " !     $pkg is not in the Packages index of Debian $*." >&2
    exit 1
  fi
  deb="$DEPS_TMP/${file##*/}"
  django::fetch "$DEPS_MIRROR/$file" "$deb"
  if ! printf '%s  %s\n' "$sha" "$deb" | sha256sum --check --quiet --status; then
    echo " !     $DEPS_MIRROR/$file does not match the SHA256 of Debian $suite's Packages index." >&2
    exit 1
  fi
  dpkg-deb -x "$deb" "$tree"
}

# django::install PATTERN PYTHON SUITE...: unless present, unpack python3-django matching PATTERN
# with its asgiref and sqlparse, from the first SUITE whose python3-django matches, and check that
# PYTHON imports them.
django::install() {
  local pattern=$1 python=$2 suite index version series="" pkg found=() companions
  shift 2
  if django::present "$pattern" "$python"; then
    return 0
  fi
  deps::tmp
  for suite in "$@"; do
    deps::index "$suite"
    index="$DEPS_TMP/$suite.Packages"
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
  # experimental lists only what differs from sid: its Django takes sid's asgiref and sqlparse.
  companions=("$suite")
  if [ "$suite" = experimental ]; then
    deps::index sid
    companions+=(sid)
  fi
  echo "-----> Unpacking Django $version from Debian $suite into $DEPS_EXTRA_DJANGO/$series"
  local tree="$DEPS_TMP/$series"
  rm -rf "$tree"
  mkdir -p "$tree"
  deps::unpack "$tree" python3-django "$suite"
  for pkg in python3-asgiref python3-sqlparse; do
    deps::unpack "$tree" "$pkg" "${companions[@]}"
  done
  # Byte-code now, once: the tests run Python with -B, which reads it but never writes it. An
  # optimisation only: the import check below is what counts.
  "$python" -m compileall -qq "$tree/usr/lib/python3/dist-packages" >/dev/null || true
  if ! django::version "$tree" "$python" >/dev/null; then
    echo " !     Django $version from Debian $suite does not import with $python." >&2
    exit 1
  fi
  rm -rf "${DEPS_EXTRA_DJANGO:?}/$series"
  mv "$tree" "$DEPS_EXTRA_DJANGO/$series"
}

# psycopg::choose: set DEPS_PSYCOPG_PYTHON to the interpreter of the psycopg 3 tests (see the top
# of this file), or stop naming what is missing.
psycopg::choose() {
  local python="${ZDCD_PSYCOPG3_PYTHON:-}" minor
  if [ -z "$python" ]; then
    for minor in 13 12; do
      python=$(compgen -G "${PYENV_ROOT:-$HOME/.pyenv}/versions/3.$minor.*/bin/python3" | sort -V | tail -n 1 || true)
      if [ -n "$python" ]; then
        break
      fi
    done
  fi
  if [ -z "$python" ] || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    echo " !     No Python 3.12 or newer for the psycopg 3 and Django 6 tests (${python:-none in ${PYENV_ROOT:-$HOME/.pyenv}/versions}): install one with pyenv (pyenv install 3.13) or set ZDCD_PSYCOPG3_PYTHON." >&2
    exit 1
  fi
  DEPS_PSYCOPG_PYTHON=$python
}

# psycopg::version DIR: psycopg's version and the libpq it loaded, when $DEPS_PSYCOPG_PYTHON
# imports psycopg (its pure Python implementation) and typing_extensions from DIR; fails otherwise.
psycopg::version() {
  PYTHONPATH="$1/usr/lib/python3/dist-packages" PYTHONNOUSERSITE=1 "$DEPS_PSYCOPG_PYTHON" -B -c '
import os, sys
import psycopg, typing_extensions
for module in (psycopg, typing_extensions):
    if not os.path.realpath(module.__file__).startswith(os.path.realpath(sys.argv[1]) + os.sep):
        sys.exit("%s comes from %s" % (module.__name__, module.__file__))
if psycopg.pq.__impl__ != "python":
    sys.exit("psycopg.pq is %s" % psycopg.pq.__impl__)
print("%s (libpq %s)" % (psycopg.__version__, psycopg.pq.version()))' "$1" 2>/dev/null
}

# psycopg::install: unless present, unpack sid's python3-psycopg and python3-typing-extensions into
# $DEPS_PSYCOPG, and point $DEPS_PSYCOPG/python at $DEPS_PSYCOPG_PYTHON.
psycopg::install() {
  local version tree pkg
  if ! psycopg::version "$DEPS_PSYCOPG" >/dev/null; then
    deps::tmp
    deps::index sid
    tree="$DEPS_TMP/psycopg3"
    rm -rf "$tree"
    mkdir -p "$tree"
    for pkg in python3-psycopg python3-typing-extensions; do
      deps::unpack "$tree" "$pkg" sid
    done
    "$DEPS_PSYCOPG_PYTHON" -m compileall -qq "$tree/usr/lib/python3/dist-packages" >/dev/null || true
    if ! version=$(psycopg::version "$tree"); then
      echo " !     psycopg from Debian sid does not import with $DEPS_PSYCOPG_PYTHON: is libpq5 installed (ldconfig -p | grep libpq)?" >&2
      exit 1
    fi
    echo "-----> Unpacked psycopg $version from Debian sid into $DEPS_PSYCOPG"
    rm -rf "$DEPS_PSYCOPG"
    mv "$tree" "$DEPS_PSYCOPG"
  fi
  ln -sfn "$DEPS_PSYCOPG_PYTHON" "$DEPS_PSYCOPG/python"
}

deps::check_go
deps::install
django::install 4.2 "$DEPS_PYTHON" trixie
django::install '5.*' "$DEPS_PYTHON" sid testing
psycopg::choose
psycopg::install
django::install '6.*' "$DEPS_PSYCOPG_PYTHON" experimental sid
# The 5.x the psycopg 3 tests run, byte-compiled for their interpreter too (see django::install).
for dir in "$DEPS_EXTRA_DJANGO"/5.*/usr/lib/python3/dist-packages; do
  "$DEPS_PSYCOPG_PYTHON" -m compileall -qq "$dir" >/dev/null || true
done
