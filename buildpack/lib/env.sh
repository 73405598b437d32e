#!/usr/bin/env bash
# Config vars at build time: Heroku passes them as ENV_DIR/<NAME> files and exports none of them,
# so the buildpack reads the few it knows by name.

# env::get ENV_DIR NAME: print the config var NAME (empty when unset).
env::get() {
  local env_dir=$1 name=$2
  if [ -n "$env_dir" ] && [ -f "$env_dir/$name" ]; then
    printf '%s' "$(<"$env_dir/$name")"
  fi
}
