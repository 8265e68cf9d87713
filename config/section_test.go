package config_test

import (
	"errors"
	"testing"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/internal/yamlx"
)

func TestDecodeSectionDecodesThisPackagesSections(t *testing.T) {
	d := &yamlx.Decoder{File: "t.yaml"}
	root, err := yamlx.ParseYAML("t.yaml", []byte("front: {bind: [tcp://127.0.0.1:5555], send_hwm: 7}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var srv config.ServerConfig
	if err := config.DecodeSection(d, "front", root.Content[1], &srv); err != nil {
		t.Fatal(err)
	}
	if len(srv.Bind) != 1 || srv.Socket.SendHWM != 7 {
		t.Errorf("got %+v", srv)
	}
	root, err = yamlx.ParseYAML("t.yaml", []byte("front: {send_hwm: -3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = config.DecodeSection(d, "front", root.Content[1], new(config.ServerConfig))
	const want = `t.yaml:1:19: front.send_hwm: want a non-negative integer, got "-3"`
	if err == nil || err.Error() != want || !errors.Is(err, config.ErrValue) {
		t.Errorf("got %v, want %s", err, want)
	}
}
