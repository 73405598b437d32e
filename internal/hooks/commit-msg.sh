#!/bin/sh
# zdcd-release commit-msg hook
#
# Installed by `zdcd-release hooks install`; `zdcd-release hooks uninstall` removes it and puts
# back the commit-msg hook that was here before (docs/hooks.md). Edits are lost on reinstall.
#
# Before a commit that stages a file under a migrations/ directory (every commit with
# ZDCD_HOOK_ALWAYS=1), it runs `zdcd-release check` against your local database (DATABASE_URL
# and the rest of your environment) in the repository's top directory, or ZDCD_PROJECT_DIR
# relative to it:
#   exit 0 (safe, nothing pending)  the commit goes ahead;
#   exit 1 (unsafe)                 the report is shown and the commit is blocked, unless the
#                                   message contains [allow-unsafe-migrations];
#   anything else (no database, Django broken, zdcd-release missing)
#                                   a warning, and the commit goes ahead.

# The zdcd-release that installed this hook, else the one on PATH.
zdcd=__ZDCD_RELEASE__
[ -x "$zdcd" ] || zdcd="zdcd-release"

# The commit-msg hook that was here before runs first, with the same arguments: if it fails,
# the commit fails with its exit code.
chained="$(dirname -- "$0")/commit-msg.zdcd-chained"
if [ -x "$chained" ]; then
	"$chained" "$@" || exit $?
fi

if [ "${ZDCD_HOOK_ALWAYS:-}" != 1 ]; then
	# Only commits that touch migrations are checked. If git cannot say, check.
	staged=$(git diff --cached --name-only 2>/dev/null) || staged=migrations/
	printf '%s\n' "$staged" | grep -Eq '(^|/)migrations/' || exit 0
fi

# The override, in the message as git will record it: comment lines (and a verbose commit's
# diff, below the scissors line) do not count.
allow=
if [ -n "${1:-}" ] && awk '
	/^# -+ >8 -+$/ { exit }
	/^#/ { next }
	index($0, "[allow-unsafe-migrations]") { found = 1 }
	END { exit !found }' "$1" 2>/dev/null; then
	allow=1
fi

if ! command -v "$zdcd" >/dev/null 2>&1; then
	echo "zdcd hook: warning: migrations not checked: zdcd-release is neither at $zdcd nor on PATH (reinstall the hook with \`zdcd-release hooks install\`); committing anyway" >&2
	exit 0
fi

# Hooks run in the top directory already; be sure of it.
if top=$(git rev-parse --show-toplevel 2>/dev/null); then
	cd "$top" || exit 0
fi
"$zdcd" check
status=$?
case $status in
0)
	exit 0
	;;
1)
	if [ -n "$allow" ]; then
		echo "zdcd hook: committing unsafe migrations anyway: the commit message says [allow-unsafe-migrations]" >&2
		exit 0
	fi
	echo "zdcd hook: commit blocked: unsafe migrations (report above); make them safe, or put [allow-unsafe-migrations] in the commit message to commit anyway (your message is kept in ${1:-.git/COMMIT_EDITMSG})" >&2
	exit 1
	;;
*)
	echo "zdcd hook: warning: migrations not checked (zdcd-release check exited $status: see above); committing anyway, run \`zdcd-release check\` before you push" >&2
	exit 0
	;;
esac
