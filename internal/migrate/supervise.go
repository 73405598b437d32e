package migrate

import (
	"os/exec"
	"runtime"
	"syscall"
)

// The migrate command never outlives zdcd.
//
//   - It runs in its own process group (Setpgid), which an interruption signals as a whole.
//   - On Linux it gets a parent-death signal: SIGKILL when zdcd dies, even by SIGKILL, when
//     nothing could be signalled in an orderly way. The kernel sends it when the *thread* that
//     forked the command exits, not the process, and the Go runtime may end an OS thread (one a
//     goroutine locked and left locked). startSupervised therefore starts the command from a
//     goroutine locked to its thread and keeps it locked until the command has exited: no other
//     goroutine runs on that thread, so it lives exactly as long as zdcd (golang/go#27505).
//   - The signal reaches the command's own process, and survives its exec: the default command
//     (python) and a wrapper that ends with `exec python manage.py migrate …` die with zdcd. A
//     wrapper that forks Python instead leaves Python orphaned: the migration in progress may
//     still commit, but Django's next progress line fails on the closed pipe, so no later one
//     starts; and the next release terminates every zdcd-migrate session left behind before it
//     judges the dead run (TerminateOrphans). Hence the documented `exec` in the suggested wrapper.

// startSupervised starts cmd (whose SysProcAttr it completes) in its own process group with the
// parent-death signal. done must be closed once cmd has exited (after Wait).
func startSupervised(cmd *exec.Cmd, done <-chan struct{}) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	setDeathSignal(cmd.SysProcAttr)
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		err := cmd.Start()
		started <- err
		if err == nil {
			<-done
		}
		runtime.UnlockOSThread()
	}()
	return <-started
}
