// Package cmdline holds what the example commands share: running an example
// under a context and reporting its error, and a repeatable flag.
package cmdline

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// Main runs an example and ends the program. run's context is canceled on
// SIGINT or SIGTERM and, when timeout is positive, after timeout. If run
// fails, Main prints "name: error" on stderr and exits with status 1;
// otherwise it returns.
func Main(name string, timeout time.Duration, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// List is a flag.Value that collects the values of a repeatable flag. It
// holds its default until the command line gives the flag, which then
// replaces the default.
type List struct {
	values []string
	given  bool
}

// ListFlag defines the repeatable flag name on flag.CommandLine, holding
// def unless the command line gives it.
func ListFlag(name, usage string, def ...string) *List {
	l := &List{values: def}
	flag.Var(l, name, usage)
	return l
}

// Values returns the flag's values, or its default if it was not given.
func (l *List) Values() []string { return l.values }

// String returns the values joined by commas.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

// Set adds one value; the first one given replaces the default.
func (l *List) Set(v string) error {
	if !l.given {
		l.values, l.given = nil, true
	}
	l.values = append(l.values, v)
	return nil
}
