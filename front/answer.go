//go:build linux || darwin

package main

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The agent's bounds, in UTF-16 code units as JavaScript counts a string's length (agent-answer.ts).
const (
	maxSecretUnits   = 64 * 1024
	maxUsernameUnits = 1024
)

type login struct {
	username string
	secret   string
}

// agentRequest: the line agent-client.ts sends; the two paths are the config identity the daemon checks.
func agentRequest(serverURL string, paths lanyardPaths) []byte {
	var line bytes.Buffer
	line.WriteString(`{"op":"get","serverURL":`)
	writeJSString(&line, serverURL)
	line.WriteString(`,"mappingFile":`)
	writeJSString(&line, paths.mappingFile)
	line.WriteString(`,"secretsFile":`)
	writeJSString(&line, paths.secretsFile)
	line.WriteString("}\n")
	return line.Bytes()
}

// parseAnswer believes what parseGetAnswer in agent-answer.ts believes, and nothing it would read otherwise. Two
// things Go's decoder reads differently from JSON.parse are refused instead: bytes that are not UTF-8 (Go and
// JavaScript replace them differently) and an escaped surrogate (Go turns a lone one into U+FFFD).
func parseAnswer(line []byte) (login, bool) {
	if !utf8.Valid(line) || escapesSurrogate(line) {
		return login{}, false
	}
	var top map[string]json.RawMessage
	var answer map[string]json.RawMessage
	if json.Unmarshal(line, &top) != nil || json.Unmarshal(top["answer"], &answer) != nil {
		return login{}, false
	}
	username, ok1 := boundedString(answer["username"], maxUsernameUnits)
	secret, ok2 := boundedString(answer["secret"], maxSecretUnits)
	return login{username, secret}, ok1 && ok2
}

func boundedString(raw json.RawMessage, maxUnits int) (string, bool) {
	var text string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &text) != nil {
		return "", false
	}
	units := 0
	for _, r := range text {
		units++
		if r > 0xFFFF {
			units++ // a surrogate pair
		}
	}
	return text, units > 0 && units <= maxUnits
}

// escapesSurrogate: a \uD800-\uDFFF escape anywhere in the line (outside strings a backslash is invalid anyway).
func escapesSurrogate(line []byte) bool {
	for i := 0; i < len(line)-1; i++ {
		if line[i] != '\\' {
			continue
		}
		if line[i+1] == 'u' && i+2 < len(line) && (line[i+2] == 'd' || line[i+2] == 'D') && i+3 < len(line) &&
			bytes.IndexByte([]byte("89abcdefABCDEF"), line[i+3]) >= 0 {
			return true
		}
		i++ // the escaped character
	}
	return false
}

// credentialsJSON: formatCredentials in src/protocol/messages.ts, byte for byte.
func credentialsJSON(serverURL string, answer login) []byte {
	var out bytes.Buffer
	out.WriteString(`{"ServerURL":`)
	writeJSString(&out, serverURL)
	out.WriteString(`,"Username":`)
	writeJSString(&out, answer.username)
	out.WriteString(`,"Secret":`)
	writeJSString(&out, answer.secret)
	out.WriteString("}\n")
	return out.Bytes()
}

// writeJSString writes a valid UTF-8 string as JSON.stringify does: only '"', '\\' and control characters are
// escaped (the short forms where JSON has them, else \u00xx in lower case); '<', '>', '&', U+2028 and U+2029,
// which Go's encoder escapes, stay as they are.
func writeJSString(out *bytes.Buffer, text string) {
	const hex = "0123456789abcdef"
	out.WriteByte('"')
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '"' || c == '\\':
			out.WriteByte('\\')
			out.WriteByte(c)
		case c == '\b':
			out.WriteString(`\b`)
		case c == '\f':
			out.WriteString(`\f`)
		case c == '\n':
			out.WriteString(`\n`)
		case c == '\r':
			out.WriteString(`\r`)
		case c == '\t':
			out.WriteString(`\t`)
		case c < 0x20:
			out.WriteString(`\u00`)
			out.WriteByte(hex[c>>4])
			out.WriteByte(hex[c&0xF])
		default:
			out.WriteByte(c)
		}
	}
	out.WriteByte('"')
}
