#!/usr/bin/env bash
# The release phase is the app's Procfile `release:` entry. zdcd's buildpack runs before the
# Python buildpack and only the last buildpack's default process types count, so it cannot add
# the entry itself: it checks, and tells the user the exact line when it is missing.

PROCFILE_RELEASE_LINE='release: zdcd-release release'

# procfile::release_command BUILD_DIR: print the command of the Procfile's release entry, if any.
procfile::release_command() {
  local procfile=$1/Procfile line
  [ -f "$procfile" ] || return 0
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    if [[ $line =~ ^release:[[:space:]]*(.*)$ ]]; then
      echo "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$procfile"
}

# procfile::runs_zdcd COMMAND: succeed when COMMAND runs `zdcd-release release`.
procfile::runs_zdcd() {
  [[ $1 =~ (^|[[:space:]/;&|])zdcd-release[[:space:]]+release([[:space:]]|$) ]]
}

# procfile::check BUILD_DIR: say whether the release phase runs zdcd-release; warn (never fail)
# with the exact line to add when it does not.
procfile::check() {
  local build_dir=$1 command
  if [ ! -f "$build_dir/Procfile" ]; then
    output::warn "No Procfile: zdcd-release will not run in the release phase." \
      "zdcd's buildpack cannot declare the release process type itself (only the last buildpack's defaults apply)." \
      "Add a Procfile with this line:" "" "    $PROCFILE_RELEASE_LINE" ""
    return 0
  fi
  command=$(procfile::release_command "$build_dir")
  if [ -z "$command" ]; then
    output::warn "Your Procfile has no release phase: zdcd-release will not run on deploy." \
      "zdcd's buildpack cannot declare the release process type itself (only the last buildpack's defaults apply)." \
      "Add this line to your Procfile:" "" "    $PROCFILE_RELEASE_LINE" ""
  elif ! procfile::runs_zdcd "$command"; then
    output::warn "Your Procfile's release phase does not run zdcd-release." \
      "It runs: $command" \
      "Replace that line with the following (zdcd-release runs the migrations itself, after judging them):" \
      "" "    $PROCFILE_RELEASE_LINE" ""
  else
    output::detail "Procfile release phase: $command"
  fi
}
