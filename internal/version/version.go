// Package version says which zdcd-release this is.
package version

import "runtime/debug"

// Version is set at build time with -ldflags "-X github.com/zdcd/zdcd/internal/version.Version=v1.2.3".
var Version = ""

// String returns the release version, else the VCS revision the binary was built from, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" {
			if dirty {
				rev += "-dirty"
			}
			return "dev-" + rev
		}
	}
	return "dev"
}
