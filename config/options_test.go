package config

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// Every socket.Options field has one YAML key (or is set otherwise on
// purpose), so a field added to socket.Options cannot be forgotten here.
func TestOptionKeysCoverSocketOptions(t *testing.T) {
	byField := map[string]string{}
	for _, k := range optionKeys {
		if prev, dup := byField[k.field]; dup {
			t.Errorf("field %s has two keys, %s and %s", k.field, prev, k.key)
		}
		byField[k.field] = k.key
	}
	typ := reflect.TypeFor[socket.Options]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		_, keyed := byField[name]
		switch {
		case keyed && slices.Contains(notFromYAML, name):
			t.Errorf("field %s has key %s but is listed as not from YAML", name, byField[name])
		case !keyed && !slices.Contains(notFromYAML, name):
			t.Errorf("socket.Options.%s has no YAML key: add it to optionKeys (or to notFromYAML, with the reason)", name)
		}
		delete(byField, name)
	}
	for field, key := range byField {
		t.Errorf("key %s names socket.Options.%s, which does not exist", key, field)
	}
}

// BuildWith takes the options a section leaves unset from its defaults, and
// reports the endpoints as bound.
func TestBuildWithDefaultsAndResolvedEndpoints(t *testing.T) {
	zctx := newCtx(t)
	c := &ServerConfig{Common{
		Bind:   []Endpoint{"tcp://127.0.0.1:*", "inproc://defaults"},
		Socket: socket.Options{SendHWM: 7},
	}}
	s, eps, err := c.BuildWith(zctx, socket.Options{SendHWM: 1, RecvHWM: 2, Linger: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if len(eps) != 2 || eps[0] == "tcp://127.0.0.1:*" || eps[1] != "inproc://defaults" {
		t.Errorf("endpoints %q, want the tcp port resolved", eps)
	}
	last, err := s.LastEndpoint()
	if err != nil || last != eps[1] {
		t.Errorf("LastEndpoint %q, %v", last, err)
	}
	if c.Socket.RecvHWM != 0 || c.Socket.Linger != 0 {
		t.Errorf("BuildWith changed the section: %+v", c.Socket)
	}
	got := withDefaults(c.Socket, socket.Options{SendHWM: 1, RecvHWM: 2, Linger: time.Second})
	if got.SendHWM != 7 || got.RecvHWM != 2 || got.Linger != time.Second {
		t.Errorf("withDefaults: %+v", got)
	}
}
