//go:build linux || darwin

package main

import (
	"path/filepath"
	"runtime"
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
	if value := lookup(environ, "XDG_RUNTIME_DIR"); value != "" {
		runtimeDir = filepath.Join(value, app)
	}
	return lanyardPaths{
		mappingFile: filepath.Join(config, "mapping.json"),
		secretsFile: filepath.Join(data, "secrets.json"),
		runtimeDir:  runtimeDir,
	}, true
}

func (p lanyardPaths) socket() string { return filepath.Join(p.runtimeDir, "daemon.sock") }
