package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/zmesh/zmesh/config"
	"github.com/zmesh/zmesh/mechanism"
	"github.com/zmesh/zmesh/store"
	"github.com/zmesh/zmesh/store/keyexpr"
	"github.com/zmesh/zmesh/store/proto"

	"lukechampine.com/blake3"
)

// The environment variables the client commands read.
const (
	envConnect = "ZMESH_CONNECT" // default of --connect
	envConfig  = "ZMESH_CONFIG"  // default of --config
)

// Encodings the CLI gives a put without --encoding.
const (
	encodingText   = "text/plain;charset=utf-8"
	encodingBinary = "application/octet-stream"
)

// clientFlags are the flags every client command takes: where the servers
// are and how to talk to them securely.
type clientFlags struct {
	connect   string
	config    string
	timeout   time.Duration
	serverKey string // CURVE (or NOISE) server public key, Z85
	clientKey string // file holding the client's key pair
	plain     string // user:password
	noise     bool
}

const clientFlagsHelp = `
Connection and security (every client command):
  The endpoints come from --connect, else $ZMESH_CONNECT, else the config
  file's client.connect, else ` + store.DefaultEndpoint + `. Several endpoints,
  comma-separated, give failover: requests go to the servers that are up, and
  one whose server dies before answering is sent to another.
  --config FILE (or $ZMESH_CONFIG) reads a YAML file with a client section in
  package config's shape, e.g.
      client:
        connect: [tcp://10.0.0.1:7447, tcp://10.0.0.2:7447]
        mechanism: {curve_client: {server: "<server public key>"}}
      dish:                  # optional: the change feed's socket (watch)
        mechanism: {curve_client: {server: "<feed public key>"}}
  Flags override the file: --server-key KEY (CURVE; with --noise, NOISE
  pinning that key), --client-key FILE (a key pair as zmesh keygen prints it),
  --plain USER:PASSWORD, --noise.
`

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.connect, "connect", os.Getenv(envConnect), "the storage servers' endpoints, comma-separated (default $"+envConnect+", else the config's, else "+store.DefaultEndpoint+")")
	fs.StringVar(&c.config, "config", os.Getenv(envConfig), "a YAML file with a client section (default $"+envConfig+")")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "how long to wait for the server's answer (watch: for the subscription)")
	fs.StringVar(&c.serverKey, "server-key", "", "the server's CURVE public key (Z85): talk CURVE (NOISE with --noise)")
	fs.StringVar(&c.clientKey, "client-key", "", "a file with this client's key pair (zmesh keygen's output); default: a new pair")
	fs.StringVar(&c.plain, "plain", "", "PLAIN credentials, USER:PASSWORD")
	fs.BoolVar(&c.noise, "noise", false, "talk NOISE (--server-key, if given, pins the server's key)")
}

// options resolves the flags, the config file and the environment into
// the endpoints and the client's options.
func (c *clientFlags) options(feed []string) (string, store.ClientOptions, error) {
	opts := store.ClientOptions{Timeout: c.timeout, Feed: feed}
	endpoints := c.connect
	if c.config != "" {
		cfg, err := config.Load(c.config)
		if err != nil {
			return "", opts, err
		}
		if cfg.Client == nil {
			return "", opts, fmt.Errorf("%s: no client section (want client: {connect: [...], mechanism: ...})", c.config)
		}
		if opts.Socket, err = cfg.Client.Options(); err != nil {
			return "", opts, fmt.Errorf("%s: client: %w", c.config, err)
		}
		if cfg.Dish != nil {
			fo, err := cfg.Dish.Options()
			if err != nil {
				return "", opts, fmt.Errorf("%s: dish: %w", c.config, err)
			}
			opts.FeedSocket = &fo
		}
		if endpoints == "" {
			var eps []string
			for _, ep := range cfg.Client.Connect {
				eps = append(eps, string(ep))
			}
			endpoints = strings.Join(eps, ",")
		}
	}
	if endpoints == "" {
		endpoints = store.DefaultEndpoint
	}
	mech, err := c.mechanism()
	if err != nil {
		return "", opts, err
	}
	if mech != nil {
		opts.Socket.Mechanism = mech
		if opts.FeedSocket == nil {
			// The change feed is secured as the requests are, unless the
			// file says otherwise.
			fo := opts.Socket
			opts.FeedSocket = &fo
		}
	}
	return endpoints, opts, nil
}

// mechanism returns the mechanism the security flags ask for; nil if none
// does.
func (c *clientFlags) mechanism() (mechanism.Mechanism, error) {
	var pub mechanism.PublicKey
	var sec mechanism.SecretKey
	if c.clientKey != "" {
		var err error
		if pub, sec, err = readKeyFile(c.clientKey); err != nil {
			return nil, fmt.Errorf("--client-key: %w", err)
		}
	}
	var server mechanism.PublicKey
	if c.serverKey != "" {
		var err error
		if server, err = mechanism.ParsePublicKey(c.serverKey); err != nil {
			return nil, fmt.Errorf("--server-key: %w", err)
		}
	}
	switch {
	case c.plain != "" && (c.noise || c.serverKey != "" || c.clientKey != ""):
		return nil, fmt.Errorf("--plain goes alone: PLAIN takes no keys (--server-key, --client-key, --noise)")
	case c.plain != "":
		user, password, ok := strings.Cut(c.plain, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("--plain %q: want USER:PASSWORD", c.plain)
		}
		return mechanism.PlainClient{Username: user, Password: password}, nil
	case c.noise:
		return &mechanism.NoiseClient{ServerKey: server, PublicKey: pub, SecretKey: sec}, nil
	case c.serverKey != "":
		return &mechanism.CurveClient{ServerKey: server, PublicKey: pub, SecretKey: sec}, nil
	case c.clientKey != "":
		return nil, fmt.Errorf("--client-key needs --server-key (CURVE) or --noise")
	}
	return nil, nil
}

// with connects a client to the servers (feed, if set, names the change
// feed's endpoints instead of asking the server), runs f with it and the
// context a request runs under (the command's, bounded by --timeout), then
// closes it.
func (c *clientFlags) with(ctx context.Context, feed []string, f func(cli *store.Client, rctx context.Context) error) error {
	endpoints, opts, err := c.options(feed)
	if err != nil {
		return err
	}
	cli, err := store.Connect(endpoints, opts)
	if err != nil {
		return err
	}
	defer cli.Close()
	rctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return f(cli, rctx)
}

// isHelp says whether an argument asks for help.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

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

// clientCmd describes a client command's arguments for its usage.
type clientCmd struct {
	name     string   // "zmesh put"
	synopsis string   // the usage line and what the command does
	args     []string // the names of the positional arguments
	optional int      // how many of the last args may be left out
}

// parseClient parses the arguments of a client command: the flags every
// client command takes, those more registers, and the positional
// arguments cmd names, which it returns. A missing or extra argument is
// named in the error.
func parseClient(args []string, stderr io.Writer, cmd clientCmd, more func(*flag.FlagSet)) (*clientFlags, []string, error) {
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\nFlags:\n", cmd.synopsis)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), clientFlagsHelp)
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
	min, max := len(cmd.args)-cmd.optional, len(cmd.args)
	switch {
	case len(pos) < min:
		fmt.Fprintf(stderr, "%s: missing %s\n", cmd.name, strings.Join(cmd.args[len(pos):min], " and "))
	case len(pos) > max:
		fmt.Fprintf(stderr, "%s: unexpected argument %q (it takes %s)\n", cmd.name, pos[max], strings.Join(cmd.args, " "))
	default:
		return cf, pos, nil
	}
	fmt.Fprintf(stderr, "usage: %s\nRun %s -h for the flags.\n", strings.SplitN(cmd.synopsis, "\n", 2)[0], cmd.name)
	return nil, nil, errUsage
}

// runPut is `zmesh put KEY VALUE`.
func runPut(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var encoding, valueFile string
	var literal bool
	cf, pos, err := parseClient(args, stderr, clientCmd{
		name: "zmesh put",
		synopsis: `zmesh put [flags] KEY VALUE|@FILE|-
       zmesh put [flags] --value-file FILE KEY

Stores a value under KEY, a plain key, and says what it stored. The value is
VALUE itself, or the content of FILE for @FILE, or standard input for -.
A value that begins with - or @: put -- before it to end the flags, and
--literal to store it as written (zmesh put --literal k -- -1, or
zmesh put --literal k @home); or give it in a file with --value-file FILE
(- for standard input).

Without --encoding, a value that is text (UTF-8 without control characters
other than tab, newline and carriage return) is stored as
` + encodingText + `, anything else as ` + encodingBinary + `.`,
		args: []string{"KEY", "VALUE"}, optional: 1,
	}, func(fs *flag.FlagSet) {
		fs.StringVar(&encoding, "encoding", "", "the value's encoding, such as application/json (default: "+encodingText+" for UTF-8 text, else "+encodingBinary+")")
		fs.StringVar(&valueFile, "value-file", "", "read the value from FILE (- for standard input) instead of VALUE")
		fs.BoolVar(&literal, "literal", false, "store VALUE as written, even when it is - or begins with @")
	})
	if err != nil {
		return err
	}
	key := pos[0]
	var value []byte
	stream := ""
	switch {
	case len(pos) == 2 && !literal && (pos[1] == "-" || strings.HasPrefix(pos[1], "@")):
		stream = strings.TrimPrefix(pos[1], "@")
	case valueFile != "" && len(pos) == 1:
		stream = valueFile
	}
	if stream != "" {
		small, f, size, done, err := openValue(stream)
		if err != nil {
			return err
		}
		defer done()
		if f != nil {
			return putStream(ctx, cf, key, f, size, encoding, stdout, stderr)
		}
		value, valueFile, pos = small, "", pos[:1]
		pos = append(pos, "")
		literal = true
	}
	switch {
	case valueFile != "" && len(pos) == 2:
		fmt.Fprintf(stderr, "zmesh put: unexpected argument %q: --value-file gives the value\n", pos[1])
		return errUsage
	case valueFile != "":
		if value, err = readValue(valueFile); err != nil {
			return err
		}
	case len(pos) < 2:
		fmt.Fprintln(stderr, "zmesh put: missing VALUE (or --value-file FILE)\nusage: zmesh put [flags] KEY VALUE|@FILE|-\nRun zmesh put -h for the flags.")
		return errUsage
	case literal && stream != "":
		// value read by openValue
	case literal:
		value = []byte(pos[1])
	case pos[1] == "-":
		if value, err = readValue("-"); err != nil {
			return err
		}
	case strings.HasPrefix(pos[1], "@"):
		if value, err = readValue(pos[1][1:]); err != nil {
			return err
		}
	default:
		value = []byte(pos[1])
	}
	if encoding == "" {
		encoding = encodingBinary
		if isText(value) {
			encoding = encodingText
		}
	}
	err = cf.with(ctx, nil, func(c *store.Client, rctx context.Context) error {
		return c.Put(rctx, key, value, store.WithEncoding(encoding))
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "stored %s (%d bytes, %s)\n", key, len(value), encoding)
	return err
}

// putStream is `zmesh put` of a value larger than one chunk: streamed
// from f, never held whole.
func putStream(ctx context.Context, cf *clientFlags, key string, f *os.File, size int64, encoding string, stdout, stderr io.Writer) error {
	if encoding == "" {
		head, err := sniff(f)
		if err != nil {
			return err
		}
		encoding = encodingBinary
		if isText(head) {
			encoding = encodingText
		}
	}
	set, finish := progress(stderr, size, "put "+key)
	err := cf.withStream(ctx, func(c *store.Client, ctx context.Context) error {
		return c.PutReader(ctx, key, &sendProgress{f: f, set: set}, size, store.WithEncoding(encoding))
	})
	finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "stored %s (%d bytes, %s)\n", key, size, encoding)
	return err
}

// readValue reads a value from a file, or from standard input for "-".
func readValue(file string) ([]byte, error) {
	if file == "-" {
		v, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return v, nil
	}
	return os.ReadFile(file)
}

// runDelete is `zmesh del KEYEXPR`.
func runDelete(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cf, pos, err := parseClient(args, stderr, clientCmd{
		name: "zmesh del",
		synopsis: `zmesh del [flags] KEYEXPR

Deletes every key KEYEXPR matches (a key, or a key expression such as
demo/**) and prints how many stored keys it deleted (counted by a query just
before the delete).`,
		args: []string{"KEYEXPR"},
	}, nil)
	if err != nil {
		return err
	}
	var n int
	err = cf.with(ctx, nil, func(c *store.Client, rctx context.Context) error {
		for _, err := range c.GetSeq(rctx, pos[0]) {
			if err != nil {
				return err
			}
			n++
		}
		return c.Delete(rctx, pos[0])
	})
	if err != nil {
		return err
	}
	noun := "keys"
	if n == 1 {
		noun = "key"
	}
	_, err = fmt.Fprintf(stdout, "deleted %d %s\n", n, noun)
	return err
}

// runGet is `zmesh get SELECTOR`.
func runGet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON, raw bool
	var outFile string
	cf, pos, err := parseClient(args, stderr, clientCmd{
		name: "zmesh get",
		synopsis: `zmesh get [flags] KEYEXPR[?PARAMETERS]

Prints every stored key KEYEXPR matches, sorted by key, one entry per key:

  KEY<tab>VALUE                 a value that is one line of text
  KEY<tab>FIRST LINE            a value of several lines: each further line
  <tab>NEXT LINE                follows with a tab in front (a value ending
  <tab>                         in a newline ends with a lone tab line)
  KEY<tab>[N bytes, ENCODING]   a value that is not text (not UTF-8, or with
                                control characters other than tab and
                                newline): use --raw, --out or --json
  KEY<tab>[N bytes, ENCODING, not carried: zmesh get --raw KEY]
                                a value over the server's max_value_size,
                                which a key expression's answer leaves out

--raw prints the value's bytes alone, --out FILE writes them to FILE (both
need exactly one matching key); --json prints a JSON array of
{key, value, encoding, timestamp, blake3} (a value left out: value null,
size, truncated true). A plain key (no wildcard) that is not
stored exits 1 with "not found"; a key expression that matches nothing
exits 0.`,
		args: []string{"KEYEXPR"},
	}, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, "print a JSON array")
		fs.BoolVar(&raw, "raw", false, "print only the value's bytes (one key)")
		fs.StringVar(&outFile, "out", "", "write the value's bytes to FILE (one key)")
	})
	if err != nil {
		return err
	}
	if (raw || outFile != "") && asJSON || raw && outFile != "" {
		fmt.Fprintln(stderr, "zmesh get: --raw, --out and --json go one at a time")
		return errUsage
	}
	if (raw || outFile != "") && !strings.ContainsAny(pos[0], "*$?") {
		return getStream(ctx, cf, pos[0], raw, outFile, stdout, stderr)
	}
	var samples []store.Sample
	err = cf.with(ctx, nil, func(c *store.Client, rctx context.Context) (err error) {
		samples, err = c.Get(rctx, pos[0])
		return err
	})
	if errors.Is(err, proto.StatusTooLarge) {
		return fmt.Errorf("%w (a value this large is read with zmesh get --raw KEY or --out FILE KEY)", err)
	}
	if err != nil {
		return err
	}
	ke, _ := keyexpr.SplitSelector(pos[0])
	if len(samples) == 0 && !strings.ContainsAny(string(ke), "*$") {
		return fmt.Errorf("%s: not found", ke)
	}
	switch {
	case raw || outFile != "":
		if len(samples) != 1 {
			return fmt.Errorf("%d keys match %s: --raw and --out take one (use a plain key)", len(samples), pos[0])
		}
		if samples[0].Omitted {
			return getStream(ctx, cf, samples[0].Key, raw, outFile, stdout, stderr)
		}
		if outFile != "" {
			return os.WriteFile(outFile, samples[0].Value, 0o644)
		}
		_, err := stdout.Write(samples[0].Value)
		return err
	case asJSON:
		type getSample struct {
			jsonSample
			Size      int64 `json:"size,omitempty"`
			Truncated bool  `json:"truncated,omitempty"`
		}
		out := make([]getSample, 0, len(samples))
		for _, s := range samples {
			j := getSample{jsonSample: toJSON(s.Key, s.Value, s.Encoding, s.Timestamp.String())}
			if s.Omitted {
				// As zmesh watch --json and the HTTP face show a value left out.
				j.Value, j.Base64, j.BLAKE3, j.Size, j.Truncated = nil, false, proto.HashHex(s.Hash), s.Size, true
			} else {
				sum := blake3.Sum256(s.Value)
				j.BLAKE3 = hex.EncodeToString(sum[:])
			}
			out = append(out, j)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	for _, s := range samples {
		if s.Omitted {
			_, err = fmt.Fprintf(stdout, "%s\t[%d bytes, %s, not carried: zmesh get --raw %s]\n", s.Key, s.Size, s.Encoding, s.Key)
		} else {
			_, err = fmt.Fprintf(stdout, "%s\t%s\n", s.Key, printable(s.Value, s.Encoding))
		}
		if err != nil {
			return err
		}
	}
	if len(samples) == 0 {
		fmt.Fprintf(stderr, "zmesh get: no stored key matches %s\n", pos[0])
	}
	return nil
}

// getStream is `zmesh get --raw KEY` or `--out FILE KEY`: the value
// streamed (store.Client.GetReader), each chunk verified before it is
// written, never held whole. With --out a failed get removes the file.
func getStream(ctx context.Context, cf *clientFlags, key string, raw bool, outFile string, stdout, stderr io.Writer) error {
	return cf.withStream(ctx, func(c *store.Client, ctx context.Context) error {
		rc, info, ok, err := c.GetReader(ctx, key)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%s: not found", key)
		}
		defer rc.Close()
		w := stdout
		var f *os.File
		if !raw {
			if f, err = os.Create(outFile); err != nil {
				return err
			}
			w = f
		}
		set, finish := progress(stderr, info.Size, "get "+key)
		_, err = io.Copy(&writeProgress{w: w, set: set}, rc)
		finish()
		if f != nil {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(outFile)
			}
		}
		return err
	})
}

// runWatch is `zmesh watch KEYEXPR`.
func runWatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var feed string
	var asJSON bool
	cf, pos, err := parseClient(args, stderr, clientCmd{
		name: "zmesh watch",
		synopsis: `zmesh watch [flags] KEYEXPR

Prints every change of a key KEYEXPR matches, as it happens, until
interrupted: "PUT KEY<tab>VALUE" (VALUE as zmesh get prints it: further lines
of a multi-line value start with a tab) or "DEL KEY"; --json prints one JSON
object per line.`,
		args: []string{"KEYEXPR"},
	}, func(fs *flag.FlagSet) {
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
			var size int64
			if ch.Omitted {
				// The same shape as the HTTP face's events of a value left out.
				j.Value, j.Base64, j.BLAKE3, size = nil, false, proto.HashHex(ch.Hash), ch.Size
			}
			err = enc.Encode(struct {
				Kind string `json:"kind"`
				jsonSample
				Storage   string `json:"storage"`
				Seq       uint64 `json:"seq"`
				Size      int64  `json:"size,omitempty"`
				Truncated bool   `json:"truncated,omitempty"`
			}{kind, j, ch.Storage, ch.Seq, size, ch.Omitted})
		} else if ch.Deleted {
			_, err = fmt.Fprintf(stdout, "DEL %s\n", ch.Key)
		} else if ch.Omitted {
			_, err = fmt.Fprintf(stdout, "PUT %s\t[%d bytes, %s, not carried: zmesh get --raw %s]\n", ch.Key, ch.Size, ch.Encoding, ch.Key)
		} else {
			_, err = fmt.Fprintf(stdout, "PUT %s\t%s\n", ch.Key, printable(ch.Value, ch.Encoding))
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
	// BLAKE3 is the value's BLAKE3-256 hash in hex: the root a streamed
	// value is verified against (b3sum prints the same).
	BLAKE3 string `json:"blake3,omitempty"`
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

// isText says whether v is text: UTF-8 without control characters other
// than tab, newline and carriage return.
func isText(v []byte) bool {
	if !utf8.Valid(v) {
		return false
	}
	for _, r := range string(v) {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return false
		}
	}
	return true
}

// printable returns a value as zmesh get prints it after KEY and a tab:
// text as it is, each line after the first with a tab in front; anything
// else (not text, or with a carriage return, which would hide what comes
// before it on a terminal) as "[N bytes, ENCODING]".
func printable(v []byte, encoding string) string {
	if !isText(v) || bytes.IndexByte(v, '\r') >= 0 {
		if encoding == "" {
			encoding = "no encoding"
		}
		return fmt.Sprintf("[%d bytes, %s]", len(v), encoding)
	}
	return strings.ReplaceAll(string(v), "\n", "\n\t")
}
