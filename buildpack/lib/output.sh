#!/usr/bin/env bash
# Output helpers in Heroku's buildpack conventions: "-----> " starts a step, seven spaces indent
# its details, " !     " marks warnings and errors (on stderr), which say title, cause and remedy.

output::step() {
  printf -- '-----> %s\n' "$*"
}

output::detail() {
  printf -- '       %s\n' "$*"
}

# output::indent: indent a command's output as step details.
output::indent() {
  sed -u 's/^/       /'
}

output::warn() {
  printf -- ' !     %s\n' "$@" >&2
}

# output::error TITLE CAUSE REMEDY: print a failure the way Heroku users expect to read it.
output::error() {
  local title=$1 cause=$2 remedy=$3
  {
    printf -- ' !     %s\n' "$title"
    printf -- ' !     %s\n' "$cause"
    printf -- ' !     %s\n' "$remedy"
  } >&2
}
