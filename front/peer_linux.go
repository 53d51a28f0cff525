package main

import (
	"os"
	"syscall"
)

// peerIsThisUser: the listening end belongs to this user (SO_PEERCRED, the credentials the daemon listened with).
func peerIsThisUser(fd int) bool {
	credentials, err := syscall.GetsockoptUcred(fd, syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	return err == nil && int(credentials.Uid) == os.Getuid()
}
