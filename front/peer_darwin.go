package main

import (
	"os"
	"unsafe"
)

// getpeereid(3) without cgo: libc's getsockopt, which the syscall package already binds, asked for
// LOCAL_PEERCRED, the credentials the listening end was created with. (peer_darwin.s, empty, lets this
// declaration stand without a body.)
//
//go:linkname getsockopt syscall.getsockopt
func getsockopt(fd int, level int, name int, value unsafe.Pointer, length *uint32) error

const (
	solLocal      = 0 // SOL_LOCAL, <sys/un.h>
	localPeercred = 1 // LOCAL_PEERCRED
	xucredVersion = 0 // XUCRED_VERSION, <sys/ucred.h>
)

// xucred, <sys/ucred.h>.
type xucred struct {
	version uint32
	uid     uint32
	ngroups int16
	groups  [16]uint32
}

// peerIsThisUser: the listening end belongs to this user; the 0700 runtime dir already keeps others out.
func peerIsThisUser(fd int) bool {
	var credentials xucred
	length := uint32(unsafe.Sizeof(credentials))
	err := getsockopt(fd, solLocal, localPeercred, unsafe.Pointer(&credentials), &length)
	return err == nil && credentials.version == xucredVersion && int(credentials.uid) == os.Getuid()
}
