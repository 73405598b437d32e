#!/usr/bin/env bash
# Detection: zdcd serves Django projects, recognised by manage.py at the root of the app.

# detect::django BUILD_DIR: succeed when BUILD_DIR is a Django project.
detect::django() {
  local build_dir=$1
  [ -f "$build_dir/manage.py" ]
}
