package backend

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Options are the options of a volume or of one storage, as decoded from
// YAML into a map (numbers may arrive as int, int64, uint64 or float64,
// durations as strings like "300ms" or as seconds). The getters convert and
// check types; their errors match ErrInvalidConfig and name the option. A
// nil Options is empty.
type Options map[string]any

// Check returns an error matching ErrInvalidConfig naming every option not
// in known (sorted), or nil: unknown options are refused so that a typo is
// not silently ignored.
func (o Options) Check(known ...string) error {
	var unknown []string
	for name := range o {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("%w: unknown option %s (known: %s)", ErrInvalidConfig,
		strings.Join(unknown, ", "), strings.Join(known, ", "))
}

// Has reports whether the option name is set (even to nil).
func (o Options) Has(name string) bool {
	_, ok := o[name]
	return ok
}

// String returns the string option name, or def when it is absent or nil.
func (o Options) String(name, def string) (string, error) {
	return option(o, name, def, func(v any) (string, error) {
		if s, ok := v.(string); ok {
			return s, nil
		}
		return "", typeError(name, "a string", v)
	})
}

// option returns the option name converted by conv, or def when it is
// absent or nil: the rule every getter follows.
func option[T any](o Options, name string, def T, conv func(v any) (T, error)) (T, error) {
	v, ok := o[name]
	if !ok || v == nil {
		return def, nil
	}
	return conv(v)
}

// Bool returns the boolean option name, or def when it is absent or nil.
// Only a boolean is one: the text "true" (a quoted YAML value) is refused,
// as everywhere in zmesh's configuration (see package config, "Values").
func (o Options) Bool(name string, def bool) (bool, error) {
	return option(o, name, def, func(v any) (bool, error) {
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if b == "true" || b == "false" {
				return false, fmt.Errorf("%w: option %q: want true or false unquoted, got the text %q (drop the quotes)",
					ErrInvalidConfig, name, b)
			}
		}
		return false, typeError(name, "true or false", v)
	})
}

// Int returns the integer option name, or def when it is absent or nil. A
// float is accepted only if it is a whole number.
func (o Options) Int(name string, def int) (int, error) {
	return option(o, name, def, func(v any) (int, error) {
		switch n := v.(type) {
		case int:
			return n, nil
		case int64:
			if n >= math.MinInt && n <= math.MaxInt {
				return int(n), nil
			}
		case uint64:
			if n <= math.MaxInt {
				return int(n), nil
			}
		case float64:
			if n == math.Trunc(n) && n >= math.MinInt && n < math.MaxInt {
				return int(n), nil
			}
		}
		return 0, typeError(name, "an integer", v)
	})
}

// Duration returns the duration option name, or def when it is absent or
// nil. A duration is text with a unit ("250ms", "5s", "24h", as
// time.ParseDuration reads it); the number 0 is the only bare number taken,
// as everywhere in zmesh's configuration (see package config, "Values").
func (o Options) Duration(name string, def time.Duration) (time.Duration, error) {
	return option(o, name, def, func(v any) (time.Duration, error) {
		switch d := v.(type) {
		case time.Duration:
			return d, nil
		case string:
			parsed, err := time.ParseDuration(d)
			if err != nil {
				return 0, fmt.Errorf("%w: option %q: %w", ErrInvalidConfig, name, err)
			}
			return parsed, nil
		case int, int64, uint64, float64:
			if fmt.Sprint(d) == "0" {
				return 0, nil
			}
			return 0, fmt.Errorf("%w: option %q: a number needs a unit: write %vs, not %v",
				ErrInvalidConfig, name, d, d)
		}
		return 0, typeError(name, "a duration", v)
	})
}

// Sub returns the nested map option name (for example S3's `tls:` or
// `private:` sections) as Options, or nil when it is absent or nil.
func (o Options) Sub(name string) (Options, error) {
	return option(o, name, nil, func(v any) (Options, error) {
		switch m := v.(type) {
		case Options:
			return m, nil
		case map[string]any:
			return Options(m), nil
		case map[any]any:
			out := make(Options, len(m))
			for k, val := range m {
				ks, ok := k.(string)
				if !ok {
					return nil, fmt.Errorf("%w: option %q: key %v is not a string", ErrInvalidConfig, name, k)
				}
				out[ks] = val
			}
			return out, nil
		}
		return nil, typeError(name, "a map", v)
	})
}

func typeError(name, want string, got any) error {
	return fmt.Errorf("%w: option %q: want %s, got %T %v", ErrInvalidConfig, name, want, got, got)
}
