package config

import "github.com/zmesh/zmesh/internal/yamlx"

// What went wrong in a configuration file. Every error the loader returns
// is an *Error that matches exactly one of these with errors.Is (and, where
// a lower layer refused the value, that layer's error too: for instance
// transport.ErrInvalidEndpoint or mechanism.ErrInvalidKey). Package
// store/server's configuration errors are the same values.
var (
	// ErrSyntax: the file is not valid YAML.
	ErrSyntax = yamlx.ErrSyntax
	// ErrUnknownKey: a key this section does not have (often a typo).
	ErrUnknownKey = yamlx.ErrUnknownKey
	// ErrType: a value of the wrong YAML type (a list where a number
	// belongs, text where a boolean does, ...).
	ErrType = yamlx.ErrType
	// ErrValue: a value of the right type that is not acceptable (a
	// negative high-water mark, a bad endpoint, duration or key).
	ErrValue = yamlx.ErrValue
	// ErrMissing: a required key is absent.
	ErrMissing = yamlx.ErrMissing
	// ErrConflict: one setting given twice, under the same key or under
	// two spellings of it (send_hwm and send_high_water_mark).
	ErrConflict = yamlx.ErrConflict
	// ErrEnv: a ${VAR} reference to an environment variable that is not
	// set.
	ErrEnv = yamlx.ErrEnv
)

// Error is a configuration error, pinned to its place in the file. Its
// message is one line:
//
//	secure.yaml:7:13: server.send_hwm: want a non-negative integer, got "-3"
//
// Line and Column point at the offending value (or at the key, for key
// errors); they are 0 when unknown (YAML syntax errors carry a line only).
// Its fields are File, Line, Column, Path (the setting, as dotted keys and
// list indexes: "server.bind[0]"), Kind (the sentinel above it matches),
// Msg (what was expected and what was found) and Err (a lower layer's
// cause, if any).
type Error = yamlx.Error
