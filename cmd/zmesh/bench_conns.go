package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zmesh/zmesh/internal/zmtp"
)

// connsResult is what `zmesh bench conns` measures.
type connsResult struct {
	Mode        string  `json:"mode"`
	Endpoint    string  `json:"endpoint"`
	Count       int     `json:"count"`
	ServerPID   int     `json:"server_pid,omitempty"`
	RSSBeforeKB int64   `json:"rss_before_kib,omitempty"`
	RSSAfterKB  int64   `json:"rss_after_kib,omitempty"`
	PerConnKB   float64 `json:"kib_per_conn,omitempty"`
	Seconds     float64 `json:"connect_seconds"`
}

func benchConnsUsage(w io.Writer) {
	fmt.Fprint(w, `usage: zmesh bench conns --connect tcp://host:port [--count N] [--server-pid PID]

Opens --count tcp connections to a SERVER (zmesh or libzmq), completes
the NULL handshake on each as a CLIENT, and keeps them all open and
silent. With --server-pid it reads that process's resident memory
(/proc/PID/status VmRSS) before the first connection and once the last
has settled, and prints the growth per connection. The connections are
raw ZMTP, not zmesh sockets, so this process stays small; raise
ulimit -n on both sides first (scripts/bench-conns.sh does).

`)
}

func runBenchConns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zmesh bench conns", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { benchConnsUsage(stderr); fs.PrintDefaults() }
	connect := fs.String("connect", "", "tcp endpoint of the SERVER")
	count := fs.Int("count", 10000, "connections to open")
	pid := fs.Int("server-pid", 0, "process whose RSS growth is measured (0: none)")
	settle := fs.Duration("settle", 3*time.Second, "wait after the last handshake before reading the RSS")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr, ok := strings.CutPrefix(*connect, "tcp://")
	if !ok || fs.NArg() > 0 || *count < 1 {
		benchConnsUsage(stderr)
		return errUsage
	}
	res := connsResult{Mode: "conns", Endpoint: *connect, Count: *count, ServerPID: *pid}
	var err error
	if *pid > 0 {
		if res.RSSBeforeKB, err = rssKiB(*pid); err != nil {
			return err
		}
	}
	conns := make([]net.Conn, 0, *count)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	start := time.Now()
	var d net.Dialer
	for i := 0; i < *count; i++ {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
		conns = append(conns, c)
		if err := nullClientHandshake(c); err != nil {
			return fmt.Errorf("connection %d: %w", i+1, err)
		}
	}
	res.Seconds = time.Since(start).Seconds()
	if *pid > 0 {
		select {
		case <-time.After(*settle):
		case <-ctx.Done():
			return ctx.Err()
		}
		if res.RSSAfterKB, err = rssKiB(*pid); err != nil {
			return err
		}
		res.PerConnKB = float64(res.RSSAfterKB-res.RSSBeforeKB) / float64(*count)
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	_, err = fmt.Fprintf(stdout, "%d idle connections to %s in %.2fs; server RSS %d -> %d KiB: %.1f KiB per connection\n",
		res.Count, res.Endpoint, res.Seconds, res.RSSBeforeKB, res.RSSAfterKB, res.PerConnKB)
	return err
}

// nullClientHandshake exchanges greetings and READY commands as a NULL
// CLIENT, within five seconds.
func nullClientHandshake(c net.Conn) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	out := zmtp.NewGreeting("NULL", false).Append(nil)
	ready := zmtp.AppendReady(nil, zmtp.Metadata{{Name: "Socket-Type", Value: "CLIENT"}})
	out = zmtp.AppendFrame(out, zmtp.FlagCommand, ready)
	if _, err := c.Write(out); err != nil {
		return err
	}
	r := zmtp.NewReader(bufio.NewReaderSize(c, 512))
	r.MaxSize = 4096
	if _, err := r.ReadGreeting(); err != nil {
		return err
	}
	cmd, err := r.ReadCommand()
	if err != nil {
		return err
	}
	if !zmtp.IsCommand(cmd, zmtp.CmdReady) {
		return errors.New("the server's first command is not READY")
	}
	return c.SetDeadline(time.Time{})
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
