//go:build !linux

package migrate

import "syscall"

// setDeathSignal does nothing where there is no parent-death signal (macOS, for development):
// there the command can outlive a killed zdcd; Heroku's dynos run Linux.
func setDeathSignal(*syscall.SysProcAttr) {}
