// Package yamlx is zmesh's strict YAML decoding: the machinery package
// config decodes its sections with, and package store/server its own
// sections beside them, so that a configuration file has one set of rules
// and one grammar.
//
// ParseYAML reads one document into yaml.v3's node tree; a Decoder walks
// it by tables of Fields (Mapping), reading values with Scalar, Text, Int,
// Bool and Duration, expanding ${VAR} on the way. Every problem is an
// *Error naming the file, line, column and setting, matching one of
// ErrSyntax, ErrUnknownKey, ErrType, ErrValue, ErrMissing, ErrConflict or
// ErrEnv (package config re-exports them).
//
// The grammar of values, documented for users in package config:
// booleans are YAML's true and false, unquoted (Bool); durations are
// numbers with a unit, "250ms" or "1m30s", 0 alone needing none
// (Duration; UnitHint says how to fix a bare number wherever a duration
// is read, JSON included).
package yamlx
