//go:build linux || darwin

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// lanyardBeside: the `lanyard` in the directory of this program's resolved path, never one found on PATH (a
// PATH entry a job controls must not choose the program that reads the keychain).
func lanyardBeside() string {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(self), "lanyard")
}

// handOver replaces this process with lanyard: the same argv (argv[0] too: lanyard's kubelet mode goes by it) and
// environment, and stdin as it was. What the front read of stdin is given back: a file by seeking it back, else
// through a pipe, or an unlinked temporary file when the pipe cannot hold it all.
func handOver(lanyard string, input *request) {
	if lanyard == "" {
		fail("cannot tell where this program is installed, so cannot find lanyard beside it")
	}
	if input != nil {
		if err := giveBack(input); err != nil {
			fail("cannot hand the request on to lanyard: " + err.Error())
		}
	}
	err := syscall.Exec(lanyard, os.Args, os.Environ())
	fail("cannot run " + lanyard + " (" + err.Error() + "): install lanyard beside this program, as the release has it")
}

// buildStamp names the lanyard version this front was built with, set by the build (scripts/release/front.mjs)
// as "lanyard-front-version=<version>;": `doctor` finds it in this file by that form to check the pair matches.
var buildStamp string

// stampPrefix is used only for its length: the prefix alone in the binary would be a second, false match.
const stampPrefix = "lanyard-front-version="

// fail: one line on stdout, where clients read a helper's errors, and exit 1.
func fail(message string) {
	version := "unstamped"
	if len(buildStamp) > len(stampPrefix)+1 {
		version = buildStamp[len(stampPrefix) : len(buildStamp)-1]
	}
	writeAll(1, []byte("docker-credential-lanyard (front "+version+"): "+message+"\n"))
	os.Exit(1)
}

func giveBack(input *request) error {
	if input.isFile {
		_, err := syscall.Seek(0, input.fileOffset, 0) // SEEK_SET
		return err
	}
	if fd, ok := inPipe(input.bytes); ok {
		return moveToStdin(fd)
	}
	fd, err := inUnlinkedFile(input.bytes)
	if err != nil {
		return err
	}
	return moveToStdin(fd)
}

// inPipe: the bytes in a new pipe whose writing end is closed, if the pipe's buffer holds them all (the write end
// is non-blocking: a full pipe must not stop the front).
func inPipe(data []byte) (int, bool) {
	var ends [2]int
	if syscall.Pipe(ends[:]) != nil {
		return 0, false
	}
	reader, writer := ends[0], ends[1]
	defer syscall.Close(writer)
	if syscall.SetNonblock(writer, true) == nil && writeAll(writer, data) {
		return reader, true
	}
	syscall.Close(reader)
	return 0, false
}

func inUnlinkedFile(data []byte) (int, error) {
	file, err := os.CreateTemp("", ".lanyard-request-*")
	if err != nil {
		return 0, err
	}
	defer file.Close()
	os.Remove(file.Name())
	if _, err := file.Write(data); err != nil {
		return 0, err
	}
	if _, err := file.Seek(0, 0); err != nil {
		return 0, err
	}
	return syscall.Dup(int(file.Fd()))
}

func moveToStdin(fd int) error {
	if err := dupTo(fd, 0); err != nil {
		return err
	}
	return syscall.Close(fd)
}

// writeAll writes everything or reports that it could not.
func writeAll(fd int, data []byte) bool {
	for len(data) > 0 {
		n, err := syscall.Write(fd, data)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return false
		}
		data = data[n:]
	}
	return true
}
