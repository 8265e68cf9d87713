package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

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
		fmt.Fprintln(stderr, "usage: zmesh keygen [--noise] [--json]\n\nPrints a new key pair for CURVE (or NOISE) in Z85. Keep the secret key secret.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
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
