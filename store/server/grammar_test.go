package server

import (
	"errors"
	"testing"
	"time"

	"github.com/zmesh/zmesh/config"
)

// The server's own sections follow package config's grammar of booleans
// and durations (see config's TestGrammarOfBooleansAndDurations): YAML
// booleans unquoted, durations with a unit, with the same messages.
func TestGrammarOfTheServerSections(t *testing.T) {
	const storage = "storages: {a: {key_expr: '**', volume: memory}}\n"
	for _, c := range []struct {
		name, yaml, want string
		kind             error
	}{
		{"durations with a unit", "garbage_collection: {period: 5s, lifespan: 1.5h}\nrequests: {timeout: 1m, max_drift: 250ms}\n" + storage, "", nil},
		{"off", "requests: {max_drift: off}\n" + storage, "", nil},
		{"bare seconds", "garbage_collection: {period: 5}\n" + storage,
			`t.yaml:1:30: garbage_collection.period: want a duration such as 300ms or 1s, got "5" (a number needs a unit: write 5s, not 5; units are ns, us, ms, s, m and h)`, config.ErrValue},
		{"bare seconds in a storage", "storages: {a: {key_expr: '**', volume: memory, garbage_collection: {lifespan: 60}}}\n",
			`t.yaml:1:79: storages.a.garbage_collection.lifespan: want a duration such as 300ms or 1s, got "60" (a number needs a unit: write 60s, not 60; units are ns, us, ms, s, m and h)`, config.ErrValue},
		{"bare seconds beside off", "requests: {max_drift: 2}\n" + storage,
			`t.yaml:1:23: requests.max_drift: want a duration such as 300ms or 1s, or off, got "2" (a number needs a unit: write 2s, not 2; units are ns, us, ms, s, m and h)`, config.ErrValue},
		{"boolean", "storages: {a: {key_expr: '**', volume: memory, read_only: true}}\n", "", nil},
		{"quoted boolean", "storages: {a: {key_expr: '**', volume: memory, read_only: \"true\"}}\n",
			`t.yaml:1:59: storages.a.read_only: want true or false, got "true" (quoted, it is text: write true or false without quotes)`, config.ErrType},
		{"quoted boolean in the volume's map form", "storages: {a: {key_expr: '**', volume: {id: memory, read_only: 'false'}}}\n",
			`t.yaml:1:64: storages.a.volume.read_only: want true or false, got "false" (quoted, it is text: write true or false without quotes)`, config.ErrType},
		{"a socket section in the same file", "server: {bind: [tcp://127.0.0.1:*], send_timeout: 5}\n" + storage,
			`t.yaml:1:51: server.send_timeout: want a duration such as 300ms or 1s, got "5" (a number needs a unit: write 5s, not 5; units are ns, us, ms, s, m and h)`, config.ErrValue},
	} {
		c2, err := ParseConfig("t.yaml", []byte(c.yaml))
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || err.Error() != c.want || !errors.Is(err, c.kind)):
			t.Errorf("%s:\n got %v\nwant %s", c.name, err, c.want)
		case c.name == "durations with a unit" && (c2.GarbageCollection.Lifespan != 90*time.Minute || c2.Requests.MaxDrift != 250*time.Millisecond):
			t.Errorf("%s: decoded %+v %+v", c.name, c2.GarbageCollection, c2.Requests)
		}
	}
}
