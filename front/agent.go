//go:build linux || darwin

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// The agent's side of the conversation: src/daemon/agent-client.ts, agent-answer.ts and socket-protocol.ts.
const (
	// Connect, one line each way: a live daemon answers in well under a millisecond (AGENT_DEADLINE_MS).
	agentDeadline = 10 * time.Millisecond
	// The daemon refuses a longer request line (MAX_REQUEST_BYTES).
	maxRequestBytes = 16 * 1024
	// The longest answer line believed (MAX_AGENT_ANSWER_BYTES).
	maxAnswerBytes = 6*(maxSecretUnits+maxUsernameUnits) + 64
)

// agentSocketTrusted: the socket's dir (the runtime dir, or the short one) and the socket in it are this user's and
// nobody else's (0700 and 0600, or narrower). Anything else, a socket planted in a dir gone wide included, is not
// asked.
func agentSocketTrusted(paths lanyardPaths) bool {
	socket := paths.socket()
	return ownedPrivately(filepath.Dir(socket), syscall.S_IFDIR) && ownedPrivately(socket, syscall.S_IFSOCK)
}

func ownedPrivately(path string, kind uint32) bool {
	var stat syscall.Stat_t
	if syscall.Lstat(path, &stat) != nil {
		return false
	}
	mode := uint32(stat.Mode)
	return mode&syscall.S_IFMT == kind && int(stat.Uid) == os.Getuid() && mode&0o077 == 0
}

// askAgent: the daemon's answer for this registry, within the deadline; false on anything else.
func askAgent(paths lanyardPaths, serverURL string) (login, bool) {
	request := agentRequest(serverURL, paths)
	if len(request) > maxRequestBytes {
		return login{}, false
	}
	deadline := time.Now().Add(agentDeadline)
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		return login{}, false
	}
	defer syscall.Close(fd)
	syscall.CloseOnExec(fd)
	// Non-blocking connect: a listener whose backlog is full refuses at once instead of holding us.
	if syscall.SetNonblock(fd, true) != nil || syscall.Connect(fd, &syscall.SockaddrUnix{Name: paths.socket()}) != nil {
		return login{}, false
	}
	if syscall.SetNonblock(fd, false) != nil || !peerIsThisUser(fd) {
		return login{}, false
	}
	if !sendAll(fd, request, deadline) {
		return login{}, false
	}
	line, ok := receiveLine(fd, deadline)
	if !ok {
		return login{}, false
	}
	return parseAnswer(line)
}

// withDeadline runs one blocking socket call with the time left as the socket's timeout, retrying when a signal
// (the Go runtime's own preemption among them) interrupts it.
func withDeadline(fd int, option int, deadline time.Time, call func() (int, error)) (int, bool) {
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return 0, false
		}
		timeout := syscall.NsecToTimeval(left.Nanoseconds())
		if timeout.Sec == 0 && timeout.Usec == 0 {
			timeout.Usec = 1 // a zero timeout would mean none
		}
		if syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, option, &timeout) != nil {
			return 0, false
		}
		n, err := call()
		if err == syscall.EINTR {
			continue
		}
		return n, err == nil
	}
}

func sendAll(fd int, data []byte, deadline time.Time) bool {
	for len(data) > 0 {
		n, ok := withDeadline(fd, syscall.SO_SNDTIMEO, deadline, func() (int, error) { return syscall.Write(fd, data) })
		if !ok || n <= 0 {
			return false
		}
		data = data[n:]
	}
	return true
}

// receiveLine: the answer up to its first newline; false on a close, a timeout or a line over the bound.
func receiveLine(fd int, deadline time.Time) ([]byte, bool) {
	var received []byte
	chunk := make([]byte, 64*1024)
	for len(received) <= maxAnswerBytes {
		n, ok := withDeadline(fd, syscall.SO_RCVTIMEO, deadline, func() (int, error) { return syscall.Read(fd, chunk) })
		if !ok || n <= 0 {
			return nil, false
		}
		received = append(received, chunk[:n]...)
		if newline := bytes.IndexByte(received, '\n'); newline >= 0 {
			return received[:newline], newline <= maxAnswerBytes
		}
	}
	return nil, false
}
