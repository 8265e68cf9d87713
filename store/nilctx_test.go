package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// A nil context.Context is refused by every blocking call, before anything
// is sent, with an error matching socket.ErrInvalidInput.
func TestNilContextIsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cli, stop, err := demo(ctx, `
server: {bind: [inproc://nil-context]}
radio: {bind: [inproc://nil-context-feed]}
storages: {demo: {key_expr: demo/**, volume: memory}}
`)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	w, err := cli.Watch(ctx, "demo/**")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	var nilCtx context.Context
	_, getErr := cli.Get(nilCtx, "demo/**")
	_, infoErr := cli.Info(nilCtx)
	_, watchErr := cli.Watch(nilCtx, "demo/**")
	_, nextErr := w.Next(nilCtx)
	var seqErr, changesErr error
	for _, err := range cli.GetSeq(nilCtx, "demo/**") {
		seqErr = err
	}
	for _, err := range w.Changes(nilCtx) {
		changesErr = err
	}
	for name, err := range map[string]error{
		"Put": cli.Put(nilCtx, "demo/a", []byte("1")), "Delete": cli.Delete(nilCtx, "demo/a"),
		"Get": getErr, "GetSeq": seqErr, "Info": infoErr, "Watch": watchErr, "Next": nextErr, "Changes": changesErr,
	} {
		if !errors.Is(err, socket.ErrInvalidInput) {
			t.Errorf("%s(nil context): %v, want socket.ErrInvalidInput", name, err)
		}
	}
	// Nothing was sent: the key is not there.
	if got, err := cli.Get(ctx, "demo/**"); err != nil || len(got) != 0 {
		t.Errorf("after refused calls: %v, %v", got, err)
	}
}
