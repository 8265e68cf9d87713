package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
	"github.com/zmesh/zmesh/store/backend/memory"
	"github.com/zmesh/zmesh/store/httpapi"
	"github.com/zmesh/zmesh/store/server"
)

// The HTTP face of a storage server: a PUT, a wildcard GET as Zenoh's REST
// plugin answers it, and /health. In a program, httpapi.Serve runs the
// handler on a listener (zmesh serve --http does).
func Example() {
	srv, closeServer := exampleServer("inproc://example-http")
	defer closeServer()
	h := httpapi.NewHandler(srv, httpapi.Options{})

	for key, v := range map[string][2]string{
		"demo/greeting": {"text/plain", "Hello from REST"},
		"demo/config":   {"application/json", `{"replicas": 3}`},
	} {
		req := httptest.NewRequest("PUT", "/"+key, strings.NewReader(v[1]))
		req.Header.Set("Content-Type", v[0])
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println("PUT", key, rec.Code)
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/demo/**", nil))
	var samples []httpapi.Sample
	if err := json.Unmarshal(rec.Body.Bytes(), &samples); err != nil {
		panic(err)
	}
	for _, s := range samples {
		fmt.Printf("%s = %s (%s)\n", s.Key, s.Value, s.Encoding)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/health", nil))
	fmt.Print("health ", rec.Code, " ", rec.Body.String())
	// Unordered output:
	// PUT demo/greeting 200
	// PUT demo/config 200
	// demo/config = {"replicas":3} (application/json)
	// demo/greeting = "Hello from REST" (text/plain)
	// health 200 {"healthy":true,"storages":{"demo":{"healthy":true,"consecutive_failures":0}}}
}

// exampleServer returns a storage server with one storage, demo/** in
// memory, on a SERVER socket bound to endpoint, and the function that
// closes them.
func exampleServer(endpoint string) (*server.Server, func()) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	zctx := socket.NewCtx(logger)
	sock, err := patterns.NewServer(zctx, socket.Options{})
	if err != nil {
		panic(err)
	}
	if err := sock.Bind(endpoint); err != nil {
		panic(err)
	}
	srv, err := server.NewServer(ctx, server.Options{
		Socket:   sock,
		Storages: []server.Storage{{Name: "demo", KeyExpr: "demo/**", Store: memory.New(), Volume: "memory"}},
		Logger:   logger,
	})
	if err != nil {
		panic(err)
	}
	return srv, func() {
		srv.Close(ctx)
		zctx.Close()
	}
}
