//go:build linux || darwin

package main

import (
	"syscall"
	"time"
	"unicode/utf8"
)

// lanyard refuses more (MAX_INPUT_BYTES in src/protocol/stdin.ts); one byte over is enough for it to say so.
const maxInputBytes = 1024 * 1024

// request: what the front took from stdin, to be handed back to lanyard on a miss.
type request struct {
	bytes []byte
	// Where a regular file stood before it was read: lanyard gets it back by seeking there.
	fileOffset int64
	isFile     bool
}

// readRequest reads all of stdin, if it is a pipe, a socket or a file. A terminal or another device is left
// untouched (false, nil): lanyard tells a person at a terminal what it wants. A read error after some bytes
// hands what was read on (false, the bytes).
func readRequest() (*request, bool) {
	var stat syscall.Stat_t
	if syscall.Fstat(0, &stat) != nil {
		return nil, false
	}
	input := &request{}
	switch uint32(stat.Mode) & syscall.S_IFMT {
	case syscall.S_IFIFO, syscall.S_IFSOCK:
	case syscall.S_IFREG:
		offset, err := syscall.Seek(0, 0, 1) // SEEK_CUR
		if err != nil {
			return nil, false
		}
		input.fileOffset, input.isFile = offset, true
	default:
		return nil, false
	}
	chunk := make([]byte, 64*1024)
	for len(input.bytes) <= maxInputBytes {
		n, err := syscall.Read(0, chunk[:min(len(chunk), maxInputBytes+1-len(input.bytes))])
		switch {
		case err == syscall.EINTR:
		case err == syscall.EAGAIN: // a non-blocking stdin with nothing yet, as lanyard waits for it too
			time.Sleep(time.Millisecond)
		case err != nil:
			return input, false
		case n == 0:
			return input, true
		default:
			input.bytes = append(input.bytes, chunk[:n]...)
		}
	}
	return input, false // over lanyard's limit: lanyard says so
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// serverURLOf: the server URL as lanyard's `get` reads it (UTF-8, a byte order mark dropped by the decoder, then
// trimmed as JavaScript's String.prototype.trim does); false when lanyard would refuse it.
func serverURLOf(input []byte) (string, bool) {
	if !utf8.Valid(input) {
		return "", false
	}
	text := []rune(string(input))
	start, end := 0, len(text)
	for start < end && isJSWhitespace(text[start]) {
		start++
	}
	for end > start && isJSWhitespace(text[end-1]) {
		end--
	}
	serverURL := string(text[start:end])
	return serverURL, serverURL != ""
}

// isJSWhitespace: ECMAScript's WhiteSpace and LineTerminator, which trim() removes. Not unicode.IsSpace: that
// includes U+0085 and leaves U+FEFF.
func isJSWhitespace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}
