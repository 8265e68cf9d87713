package server

import (
	"context"
	"errors"
	"testing"

	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/proto"
)

// A nil context.Context is refused by every call of the server that takes
// one, with an error matching socket.ErrInvalidInput.
func TestNilContextIsRefused(t *testing.T) {
	f := startOne(t)
	var nilCtx context.Context
	_, gcErr := f.srv.CollectGarbage(nilCtx)
	_, newErr := NewServer(nilCtx, Options{})
	cfg, err := ParseConfig("t.yaml", []byte("server: {bind: [inproc://nil]}\nstorages: {a: {key_expr: '**', volume: memory}}\n"))
	must(t, err)
	_, openErr := cfg.Open(nilCtx, f.zctx, quiet)
	for name, err := range map[string]error{
		"NewServer": newErr, "Open": openErr, "CollectGarbage": gcErr,
		"Serve":         f.srv.Serve(nilCtx),
		"Do":            f.srv.Do(nilCtx, proto.Message{Kind: proto.KindQuery, Key: "**"}, func(proto.Message) error { return nil }),
		"AddVolume":     f.srv.AddVolume(nilCtx, VolumeConfig{Name: "v", Kind: "memory"}),
		"RemoveVolume":  f.srv.RemoveVolume(nilCtx, "v"),
		"AddStorage":    f.srv.AddStorage(nilCtx, StorageConfig{Name: "t", KeyExpr: "t/**", Volume: "memory"}),
		"RemoveStorage": f.srv.RemoveStorage(nilCtx, "s"),
		"Reconfigure":   f.srv.Reconfigure(nilCtx, nil, nil),
		"Close":         f.srv.Close(nilCtx),
	} {
		if !errors.Is(err, socket.ErrInvalidInput) {
			t.Errorf("%s(nil context): %v, want socket.ErrInvalidInput", name, err)
		}
	}
	// The refused calls changed nothing: the storage is still served.
	if got := f.getKV("**"); len(got) != 0 {
		t.Errorf("got %v", got)
	}
	if info, err := f.cli.Info(testCtx(t)); err != nil || len(info.Storages) != 1 || info.Storages[0].Name != "s" {
		t.Errorf("Info after the refused calls: %+v, %v", info, err)
	}
}
