//go:build linux || darwin

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
)

// lanyardPaths: what the front needs of src/paths.ts, computed the same way from the same variables.
type lanyardPaths struct {
	mappingFile string
	secretsFile string
	runtimeDir  string
}

const app = "lanyard"

// pathsFrom mirrors lanyardPaths() in src/paths.ts. Without HOME lanyard asks the password database, which the
// front does not: that is a doubt. A path computed differently here would only ever miss: the daemon answers only
// an asker whose mapping and file store are its own.
func pathsFrom(environ []string) (lanyardPaths, bool) {
	home := lookup(environ, "HOME")
	if home == "" {
		return lanyardPaths{}, false
	}
	or := func(name string, fallback string) string {
		if value := lookup(environ, name); value != "" {
			return value
		}
		return fallback
	}
	var config, data, cache string
	if runtime.GOOS == "darwin" {
		library := filepath.Join(home, "Library")
		config = filepath.Join(library, "Preferences", app)
		data = filepath.Join(library, "Application Support", app)
		cache = filepath.Join(library, "Caches", app)
	} else {
		config = filepath.Join(or("XDG_CONFIG_HOME", filepath.Join(home, ".config")), app)
		data = filepath.Join(or("XDG_DATA_HOME", filepath.Join(home, ".local", "share")), app)
		cache = filepath.Join(or("XDG_CACHE_HOME", filepath.Join(home, ".cache")), app)
	}
	runtimeDir := filepath.Join(cache, "run")
	// macOS ignores XDG_RUNTIME_DIR: launchd does not hand a shell profile's value to the daemon.
	if value := lookup(environ, "XDG_RUNTIME_DIR"); value != "" && runtime.GOOS != "darwin" {
		runtimeDir = filepath.Join(value, app)
	}
	return lanyardPaths{
		mappingFile: filepath.Join(config, "mapping.json"),
		secretsFile: filepath.Join(data, "secrets.json"),
		runtimeDir:  runtimeDir,
	}, true
}

// socketPathMax: the longest unix socket path the OS takes, without the closing NUL (socketPathMax in
// src/platform.ts).
func socketPathMax() int {
	if runtime.GOOS == "darwin" {
		return 103
	}
	return 107
}

// socket mirrors daemonSocket() in src/paths.ts: in the runtime dir, or when that path is too long for the OS, in
// /tmp/lanyard-<uid>/ named after the runtime dir.
func (p lanyardPaths) socket() string {
	inRuntimeDir := filepath.Join(p.runtimeDir, "daemon.sock")
	if len(inRuntimeDir) <= socketPathMax() {
		return inRuntimeDir
	}
	sum := sha256.Sum256([]byte(p.runtimeDir))
	short := "/tmp/" + app + "-" + strconv.Itoa(os.Getuid())
	return filepath.Join(short, hex.EncodeToString(sum[:])[:16]+".sock")
}
