// docker-credential-lanyard on Linux and macOS: a small native front for `lanyard`, the program that does all the
// work. It answers one thing itself, a `get` that the running agent (lanyard's daemon) has at hand, because a
// client spawns the helper on every pull and the Bun runtime's start alone costs more than a Go helper's whole
// answer. Everything else, and every miss, error or doubt, it hands to the `lanyard` beside it with the same argv,
// environment and stdin, so that behaviour is lanyard's own. It never reads a store, a config file or the network.
//
//go:build linux || darwin

package main

import (
	"os"
	"path/filepath"
	"strings"
)

func main() {
	beside := lanyardBeside()
	if !mayAnswer(os.Args, os.Environ()) {
		handOver(beside, nil)
	}
	paths, ok := pathsFrom(os.Environ())
	if !ok || !agentSocketTrusted(paths) {
		handOver(beside, nil)
	}
	input, ok := readRequest()
	if !ok {
		handOver(beside, input)
	}
	serverURL, ok := serverURLOf(input.bytes)
	if !ok {
		handOver(beside, input)
	}
	login, ok := askAgent(paths, serverURL)
	if !ok {
		handOver(beside, input)
	}
	if !writeAll(1, credentialsJSON(serverURL, login)) {
		os.Exit(1) // part of the answer may be out: running lanyard now could print a second one
	}
	os.Exit(0)
}

// Installed under a kubelet credential provider's name, lanyard speaks only that protocol: src/cli.ts KUBELET_NAME,
// /credential-provider|kubelet/, tested on the basename of argv[0].
func kubeletName(argv0 string) bool {
	base := filepath.Base(argv0)
	return strings.Contains(base, "credential-provider") || strings.Contains(base, "kubelet")
}

// mayAnswer: only `get`, under a name that is not a kubelet provider's, in an environment the front models.
func mayAnswer(args []string, environ []string) bool {
	if len(args) != 2 || args[1] != "get" || kubeletName(args[0]) {
		return false
	}
	return environmentModelled(environ)
}
