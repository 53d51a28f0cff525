// Lets peer_darwin.go declare getsockopt without a body (it is linked to the syscall package's).
