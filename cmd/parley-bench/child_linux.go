package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the started server stop if this tool dies (a crash or a kill
// would otherwise leave it running, holding its port and data dir).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
