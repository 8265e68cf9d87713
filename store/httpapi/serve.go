package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Timeouts of the http.Server that Serve runs.
const (
	// ReadHeaderTimeout bounds reading a request's headers (slowloris).
	ReadHeaderTimeout = 10 * time.Second
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout = 2 * time.Minute
	// WriteTimeout bounds writing a response.
	WriteTimeout = 2 * time.Minute
	// IdleTimeout closes keep-alive connections idle that long.
	IdleTimeout = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers.
	MaxHeaderBytes = 64 << 10
	// ShutdownTimeout bounds how long Serve waits, once its context is
	// done, for the requests in flight before it closes their connections.
	ShutdownTimeout = 10 * time.Second
)

// Serve serves h on ln until ctx is done, then shuts down gracefully: it
// stops accepting, waits up to ShutdownTimeout for the requests in flight,
// closes what is left, and returns nil. If the listener fails first, it
// returns that error. Either way ln is closed and every goroutine Serve
// started has ended when it returns. logger may be nil (slog.Default()).
//
// Requests are not cancelled when ctx ends (a put in flight is finished
// and answered); each is bounded by the storage server's request timeout.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	if logger == nil {
		logger = slog.Default()
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if c, ok := h.(interface{ CloseStreams() }); ok {
		hs.RegisterOnShutdown(c.CloseStreams)
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Warn("http: requests still in flight at shutdown; closing their connections", "err", err)
		hs.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
