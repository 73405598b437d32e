package migrate

import "syscall"

// setDeathSignal asks the kernel to SIGKILL the command when the thread that started it exits
// (prctl PR_SET_PDEATHSIG, set between fork and exec).
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
