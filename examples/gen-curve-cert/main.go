// Command gen-curve-cert prints a new CURVE key pair in Z85 (40 characters
// each), in the YAML shape a key pair takes in a configuration file:
//
//	go run ./examples/gen-curve-cert
//
//	public: "k8YnHuzVTBH%MqW68EX]{so.9KP.}{f[Mhq*NhFy"
//	secret: "!E[e5@.}$4kL$8deVganoYbL@5$.97x=LTW*}If7"
//
// Give the public key to peers (a server's to its clients, a client's to
// the server's curve_registry); keep the secret key out of files you share,
// for instance as secret: "${SERVER_SECRET}".
package main

import (
	"fmt"
	"os"

	"github.com/zmesh/zmesh/mechanism"
)

func main() {
	pub, sec, err := mechanism.GenerateKeyPair()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen-curve-cert:", err)
		os.Exit(1)
	}
	// Z85 has no quote or backslash, so %q makes valid YAML strings.
	fmt.Printf("public: %q\n", pub.String())
	fmt.Printf("secret: %q\n", sec.Z85())
}
