package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zmesh/zmesh/store"
)

// clientFlags are the flags every client command takes.
type clientFlags struct {
	connect string
	timeout time.Duration
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.connect, "connect", store.DefaultEndpoint, "the storage server's endpoint (several: comma-separated)")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "how long to wait for the server's answer (watch: for the subscription)")
}

// with connects a client to the server (feed, if set, names the change
// feed's endpoints instead of asking the server), runs f with it and the
// context a request runs under (the command's, bounded by --timeout), then
// closes it. A timeout's error says what it probably means.
func (c *clientFlags) with(ctx context.Context, feed []string, f func(cli *store.Client, rctx context.Context) error) error {
	cli, err := store.Connect(c.connect, store.ClientOptions{Timeout: c.timeout, Feed: feed})
	if err != nil {
		return err
	}
	defer cli.Close()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return c.explain(f(cli, rctx))
}

// explain makes a timeout say what it probably means.
func (c *clientFlags) explain(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer from %s within %v (is zmesh serve running there?): %w", c.connect, c.timeout, err)
	}
	return err
}

// parseInterspersed parses flags wherever they are among the arguments
// (Go's flag package stops at the first argument that is not a flag), so
// `zmesh get demo/** --json` works. "--" ends the flags: `zmesh put k -- -1`.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage // the flag package printed what is wrong, and the usage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs.Parse consumed a "--" if it stopped at one: everything after
		// it is positional.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// parseClient parses the arguments of a client command: the flags every
// client command takes, those more registers, and exactly nargs positional
// arguments, which it returns. synopsis heads the usage message.
func parseClient(args []string, stderr io.Writer, name, synopsis string, nargs int, more func(*flag.FlagSet)) (*clientFlags, []string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	cf := new(clientFlags)
	cf.register(fs)
	if more != nil {
		more(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return nil, nil, err
	}
	if len(pos) != nargs {
		fs.Usage()
		return nil, nil, errUsage
	}
	return cf, pos, nil
}

// runPut is `zmesh put KEY VALUE`.
func runPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var encoding string
	cf, pos, err := parseClient(args, stderr, "zmesh put",
		"zmesh put [flags] KEY VALUE|@FILE|-\n\nStores VALUE (or the content of FILE, or standard input) under KEY, a plain key.", 2,
		func(fs *flag.FlagSet) {
			fs.StringVar(&encoding, "encoding", "", "the value's encoding, such as text/plain or application/json")
		})
	if err != nil {
		return err
	}
	key, value := pos[0], []byte(pos[1])
	switch {
	case pos[1] == "-":
		if value, err = io.ReadAll(os.Stdin); err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
	case strings.HasPrefix(pos[1], "@"):
		if value, err = os.ReadFile(pos[1][1:]); err != nil {
			return err
		}
	}
	var opts []store.Option
	if encoding != "" {
		opts = append(opts, store.WithEncoding(encoding))
	}
	return cf.with(ctx, nil, func(c *store.Client, rctx context.Context) error {
		return c.Put(rctx, key, value, opts...)
	})
}

// runDelete is `zmesh del KEYEXPR`.
func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseClient(args, stderr, "zmesh del",
		"zmesh del [flags] KEYEXPR\n\nDeletes every key KEYEXPR matches (a key, or a key expression such as demo/**).", 1, nil)
	if err != nil {
		return err
	}
	return cf.with(ctx, nil, func(c *store.Client, rctx context.Context) error { return c.Delete(rctx, pos[0]) })
}

// runGet is `zmesh get SELECTOR`.
func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	cf, pos, err := parseClient(args, stderr, "zmesh get",
		"zmesh get [flags] KEYEXPR[?PARAMETERS]\n\nPrints every stored key KEYEXPR matches, one line per key (key, a tab, the value),\nsorted by key; --json prints a JSON array of {key, value, encoding, timestamp}.", 1,
		func(fs *flag.FlagSet) { fs.BoolVar(&asJSON, "json", false, "print a JSON array") })
	if err != nil {
		return err
	}
	var samples []store.Sample
	err = cf.with(ctx, nil, func(c *store.Client, rctx context.Context) (err error) {
		samples, err = c.Get(rctx, pos[0])
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]jsonSample, 0, len(samples))
		for _, s := range samples {
			out = append(out, toJSON(s.Key, s.Value, s.Encoding, s.Timestamp.String()))
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, s := range samples {
		if _, err := fmt.Fprintf(stdout, "%s\t%s\n", s.Key, printable(s.Value)); err != nil {
			return err
		}
	}
	if len(samples) == 0 {
		fmt.Fprintf(stderr, "zmesh get: no stored key matches %s\n", pos[0])
	}
	return nil
}

// runWatch is `zmesh watch KEYEXPR`.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var feed string
	var asJSON bool
	cf, pos, err := parseClient(args, stderr, "zmesh watch",
		"zmesh watch [flags] KEYEXPR\n\nPrints every change of a key KEYEXPR matches, as it happens, until interrupted:\n\"PUT key<tab>value\" or \"DEL key\"; --json prints one JSON object per line.", 1,
		func(fs *flag.FlagSet) {
			fs.StringVar(&feed, "feed", "", "the change feed's endpoint (default: ask the server)")
			fs.BoolVar(&asJSON, "json", false, "print one JSON object per change")
		})
	if err != nil {
		return err
	}
	var feeds []string
	if feed != "" {
		feeds = strings.Split(feed, ",")
	}
	return cf.with(ctx, feeds, func(c *store.Client, wctx context.Context) error {
		w, err := c.Watch(wctx, pos[0])
		if err != nil {
			return err
		}
		defer w.Close()
		// Changes come until the command's context ends, not --timeout.
		return printChanges(ctx, w, pos[0], asJSON, stdout, stderr)
	})
}

// printChanges prints the changes w reports until ctx ends.
func printChanges(ctx context.Context, w *store.Watcher, keyExpr string, asJSON bool, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "zmesh watch: watching %s (Ctrl-C stops)\n", keyExpr)
	enc := json.NewEncoder(stdout)
	for ch, err := range w.Changes(ctx) {
		if err != nil {
			return err
		}
		if ch.Missed > 0 {
			fmt.Fprintf(stderr, "zmesh watch: %d changes of storage %s were lost (the feed dropped them); query to catch up\n", ch.Missed, ch.Storage)
		}
		if asJSON {
			j := toJSON(ch.Key, ch.Value, ch.Encoding, ch.Timestamp.String())
			kind := "PUT"
			if ch.Deleted {
				kind = "DELETE"
			}
			err = enc.Encode(struct {
				Kind string `json:"kind"`
				jsonSample
				Storage string `json:"storage"`
				Seq     uint64 `json:"seq"`
			}{kind, j, ch.Storage, ch.Seq})
		} else if ch.Deleted {
			_, err = fmt.Fprintf(stdout, "DEL %s\n", ch.Key)
		} else {
			_, err = fmt.Fprintf(stdout, "PUT %s\t%s\n", ch.Key, printable(ch.Value))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonSample is a stored entry in JSON, as Zenoh's REST plugin writes it:
// value is the JSON itself for a JSON encoding, text when it is UTF-8,
// and base64 otherwise (then value_base64 is true).
type jsonSample struct {
	Key       string `json:"key"`
	Value     any    `json:"value"`
	Base64    bool   `json:"value_base64,omitempty"`
	Encoding  string `json:"encoding"`
	Timestamp string `json:"timestamp"`
}

func toJSON(key string, value []byte, encoding, ts string) jsonSample {
	j := jsonSample{Key: key, Encoding: encoding, Timestamp: ts}
	switch {
	case len(value) == 0:
		j.Value = ""
	case (encoding == "application/json" || encoding == "text/json") && json.Valid(value):
		j.Value = json.RawMessage(value)
	case utf8.Valid(value):
		j.Value = string(value)
	default:
		j.Value, j.Base64 = base64.StdEncoding.EncodeToString(value), true
	}
	return j
}

// printable returns a value for one line of output: as it is when it is
// printable UTF-8 on one line, otherwise quoted Go-style.
func printable(v []byte) string {
	s := string(v)
	if !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	for _, r := range s {
		if r != '\t' && !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
