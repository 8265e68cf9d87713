package yamlx

import (
	"errors"
	"fmt"
	"strings"
)

// What went wrong in a configuration file. Every error the loader returns
// is an *Error that matches exactly one of the errors below with errors.Is
// (and, where a lower layer refused the value, that layer's error too: for
// instance transport.ErrInvalidEndpoint or mechanism.ErrInvalidKey).

// The file as a whole.
var (
	// ErrSyntax: the file is not valid YAML.
	ErrSyntax = errors.New("YAML syntax error")
	// ErrEnv: a ${VAR} reference to an environment variable that is not
	// set.
	ErrEnv = errors.New("environment variable not set")
)

// The keys of a section.
var (
	// ErrUnknownKey: a key this section does not have (often a typo).
	ErrUnknownKey = errors.New("unknown key")
	// ErrMissing: a required key is absent.
	ErrMissing = errors.New("missing key")
	// ErrConflict: one setting given twice, under the same key or under
	// two spellings of it (send_hwm and send_high_water_mark).
	ErrConflict = errors.New("conflicting keys")
)

// The value of a key.
var (
	// ErrType: a value of the wrong YAML type (a list where a number
	// belongs, text where a boolean does, ...).
	ErrType = errors.New("wrong type")
	// ErrValue: a value of the right type that is not acceptable (a
	// negative high-water mark, a bad endpoint, duration or key).
	ErrValue = errors.New("invalid value")
)

// Error is a configuration error, pinned to its place in the file. Its
// message is one line:
//
//	secure.yaml:7:13: server.send_hwm: want a non-negative integer, got "-3"
//
// Line and Column point at the offending value (or at the key, for key
// errors); they are 0 when unknown (YAML syntax errors carry a line only).
type Error struct {
	// File is the name the configuration was loaded under; may be empty.
	File string
	// Line and Column are 1-based.
	Line, Column int
	// Path names the setting, as dotted keys and list indexes, e.g.
	// "server.bind[0]"; empty for errors about the whole file.
	Path string
	// Kind is the sentinel this error matches: ErrUnknownKey, ErrType, ...
	Kind error
	// Msg says what was expected and what was found.
	Msg string
	// Err is the underlying cause, if a lower layer gave one.
	Err error
}

// Error formats the error as file:line:column: path: message.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, "%d:", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, "%d:", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	// One line, always: a message never spans lines even if a cause did.
	return strings.ReplaceAll(b.String(), "\n", " ")
}

// Unwrap returns the kind and the cause, so errors.Is matches both.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}
