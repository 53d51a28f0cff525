//go:build linux || darwin

package main

import (
	"strings"
	"unicode/utf8"
)

// LANYARD_* settings that cannot change the answer to a `get` the agent has at hand: they steer stores, exchanges,
// the daemon's own timing or a failure's notice, none of which a hit reaches. Any other LANYARD_* variable (and
// LANYARD_AGENT=0) sends the request to lanyard: LANYARD_TRACE prints on stderr, LANYARD_DEBUG and
// LANYARD_LOG_STDERR steer the log, and a setting added later is unknown here. test/unit/front-environment.test.ts
// keeps each name in step with src/config.ts.
var unaffectingSettings = map[string]bool{
	"LANYARD_STORE":                           true,
	"LANYARD_IAM_ENDPOINT":                    true,
	"LANYARD_HUB_ENDPOINT":                    true,
	"LANYARD_HUB_CHECK_INTERVAL_S":            true,
	"LANYARD_KEYCHAIN_TIMEOUT_MS":             true,
	"LANYARD_TTY":                             true,
	"LANYARD_AGENT_IDLE_S":                    true,
	"LANYARD_AGENT_AUTOSTART":                 true,
	"LANYARD_DAEMON_IDLE_S":                   true,
	"LANYARD_AWS_PROCESS_TIMEOUT_S":           true,
	"LANYARD_AWS_CONTAINER_ENDPOINT":          true,
	"LANYARD_GOOGLE_STS_URL":                  true,
	"LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT": true,
	"LANYARD_IBM_CR_TOKEN_FILE":               true,
	"LANYARD_IBM_METADATA_ENDPOINT":           true,
}

// The variables the front reads to find the agent's socket and the config identity it sends (src/paths.ts).
var modelled = map[string]bool{
	"HOME": true, "XDG_CONFIG_HOME": true, "XDG_DATA_HOME": true, "XDG_CACHE_HOME": true, "XDG_RUNTIME_DIR": true,
}

// environmentModelled: every variable that could change the answer is one the front reads the way lanyard does.
// A name given twice is a doubt (which one a runtime takes differs), and so is a value that is not UTF-8 (lanyard
// would see it decoded with replacement characters, another path than the bytes name).
func environmentModelled(environ []string) bool {
	seen := map[string]bool{}
	for _, entry := range environ {
		name, value, _ := strings.Cut(entry, "=")
		lanyardSetting := strings.HasPrefix(name, "LANYARD_")
		if lanyardSetting && !unaffectingSettings[name] && (name != "LANYARD_AGENT" || value == "0") {
			return false
		}
		if lanyardSetting || modelled[name] {
			if seen[name] || !utf8.ValidString(value) {
				return false
			}
			seen[name] = true
		}
	}
	return true
}

// lookup is the value of a variable the front models ("" when unset, as lanyard treats an empty one).
func lookup(environ []string, name string) string {
	for _, entry := range environ {
		if key, value, _ := strings.Cut(entry, "="); key == name {
			return value
		}
	}
	return ""
}
