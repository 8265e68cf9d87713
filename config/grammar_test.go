package config_test

import (
	"errors"
	"testing"

	"github.com/zmesh/zmesh/config"
)

// The grammar of booleans and durations in socket sections (store/server
// tests its own sections against the same table): booleans are YAML's
// true and false, unquoted; durations are numbers with a unit ("250ms",
// "5s"), 0 alone needing none; a bare number, a quoted boolean and yes/no
// are refused with a message that says how to write the value.
func TestGrammarOfBooleansAndDurations(t *testing.T) {
	for _, c := range []struct {
		name, yaml, want string
		kind             error
	}{
		{"duration with a unit", "server: {send_timeout: 250ms}\n", "", nil},
		{"durations in parts", "server: {linger: 1s 500ms}\n", "", nil},
		{"zero needs no unit", "server: {linger: 0}\n", "", nil},
		{"a word", "server: {linger: forever}\n", "", nil},
		{"bare seconds", "server: {send_timeout: 5}\n",
			`t.yaml:1:24: server.send_timeout: want a duration such as 300ms or 1s, got "5" (a number needs a unit: write 5s, not 5; units are ns, us, ms, s, m and h)`, config.ErrValue},
		{"bare fraction", "server: {heartbeat: {interval: 1.5}}\n",
			`t.yaml:1:32: server.heartbeat.interval: want a duration such as 300ms or 1s, got "1.5" (a number needs a unit: write 1.5s, not 1.5; units are ns, us, ms, s, m and h)`, config.ErrValue},
		{"boolean", "radio: {no_drop: true}\n", "", nil},
		{"capitalised boolean", "server: {immediate: False}\n", "", nil},
		{"quoted boolean", "radio: {no_drop: \"true\"}\n",
			`t.yaml:1:18: radio.no_drop: want true or false, got "true" (quoted, it is text: write true or false without quotes)`, config.ErrType},
		{"yes", "server: {immediate: yes}\n", `t.yaml:1:21: server.immediate: want true or false, got "yes"`, config.ErrType},
		{"one", "auth: {curve_auth: 1}\n", `t.yaml:1:20: auth.curve_auth: want true or false, got "1"`, config.ErrType},
	} {
		_, err := config.Parse("t.yaml", []byte(c.yaml))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || err.Error() != c.want || !errors.Is(err, c.kind)):
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, c.want)
		}
	}
}
