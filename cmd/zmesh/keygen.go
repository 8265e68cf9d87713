package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/zmesh/zmesh/mechanism"
)

// runKeygen prints a new long-term key pair in Z85, the text form libzmq
// and zmesh configs use. CURVE and NOISE keys are both Curve25519 keys; the
// flag only labels the output.
func runKeygen(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("zmesh keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	noise := fs.Bool("noise", false, "label the pair for the NOISE mechanism (the same kind of key)")
	asJSON := fs.Bool("json", false, "print {\"mechanism\", \"public\", \"secret\"} as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zmesh keygen [--noise] [--json]\n\nPrints a new key pair for CURVE (or NOISE) in Z85. Keep the secret key secret.\nSaved to a file, the output is what the client commands' --client-key FILE reads.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zmesh keygen: unexpected argument %q (it takes only flags)\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	pub, sec, err := mechanism.GenerateKeyPair()
	if err != nil {
		return err
	}
	mech := "curve"
	if *noise {
		mech = "noise"
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false) // Z85 uses < > &: print keys as they are
		return enc.Encode(map[string]string{"mechanism": mech, "public": pub.String(), "secret": sec.Z85()})
	}
	_, err = fmt.Fprintf(stdout, "# %s key pair (Z85)\npublic: %s\nsecret: %s\n", mech, pub, sec.Z85())
	return err
}

// readKeyFile reads a key pair from a file as runKeygen prints it: the
// "public: KEY" and "secret: KEY" lines (# comments ignored), or the JSON
// of --json. The secret key is required; the public key, if present, must
// belong to it.
func readKeyFile(path string) (mechanism.PublicKey, mechanism.SecretKey, error) {
	var pub mechanism.PublicKey
	var sec mechanism.SecretKey
	data, err := os.ReadFile(path)
	if err != nil {
		return pub, sec, err
	}
	var pair struct{ Public, Secret string }
	if strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
		if err := json.Unmarshal(data, &pair); err != nil {
			return pub, sec, fmt.Errorf("%s: %w", path, err)
		}
	} else {
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, value, ok := strings.Cut(line, ":")
			switch name = strings.TrimSpace(name); {
			case ok && name == "public":
				pair.Public = strings.TrimSpace(value)
			case ok && name == "secret":
				pair.Secret = strings.TrimSpace(value)
			default:
				// The line is not quoted: it may hold a secret.
				return pub, sec, fmt.Errorf("%s:%d: want \"public: KEY\" or \"secret: KEY\"", path, i+1)
			}
		}
	}
	if pair.Secret == "" {
		return pub, sec, fmt.Errorf("%s: no secret key (want a \"secret: KEY\" line, as zmesh keygen prints)", path)
	}
	if sec, err = mechanism.ParseSecretKey(pair.Secret); err != nil {
		return pub, sec, fmt.Errorf("%s: secret: %w", path, err)
	}
	pub = sec.Public()
	if pair.Public != "" && pair.Public != pub.String() {
		return pub, sec, fmt.Errorf("%s: the public key does not belong to the secret key", path)
	}
	return pub, sec, nil
}
