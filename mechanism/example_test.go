package mechanism_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/mechanism"
)

func ExampleZ85Encode() {
	s, _ := mechanism.Z85Encode([]byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B})
	fmt.Println(s)
	// Output: HelloWorld
}

func ExampleZ85Decode() {
	_, err := mechanism.Z85Decode("Hello~orld")
	var ze *mechanism.Z85Error
	if errors.As(err, &ze) {
		fmt.Println("bad character at", ze.Pos)
	}
	b, _ := mechanism.Z85Decode("HelloWorld")
	fmt.Printf("% X\n", b)
	// Output:
	// bad character at 5
	// 86 4F D2 6F B5 59 F7 5B
}

func ExampleParseSecretKey() {
	// The server key pair from libzmq's own tests.
	secret, err := mechanism.ParseSecretKey("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	if err != nil {
		panic(err)
	}
	fmt.Println(mechanism.PublicFromSecret(secret))
	fmt.Println(secret) // secret keys do not print themselves
	// Output:
	// rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
	// SecretKey(redacted)
}

func ExampleParsePublicKey() {
	_, err := mechanism.ParsePublicKey("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf")
	fmt.Println(err)
	fmt.Println(errors.Is(err, mechanism.ErrInvalidKey))
	// Output:
	// invalid key: 39 bytes; want 40 Z85 characters or 32 raw bytes
	// true
}

func ExampleGenerateKeyPair() {
	pub, secret, err := mechanism.GenerateKeyPair()
	if err != nil {
		panic(err)
	}
	// Give pub to the peers; keep secret.Z85() somewhere safe.
	fmt.Println(len(pub.String()), len(secret.Z85()), mechanism.PublicFromSecret(secret) == pub)
	// Output: 40 40 true
}

// A CURVE server that admits one known client, and that client. The two
// mechanisms go into the sockets' options; the authenticator too.
func ExampleCurveServer() {
	serverSecret, _ := mechanism.ParseSecretKey("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	clientSecret, _ := mechanism.ParseSecretKey("D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs")

	server := &mechanism.CurveServer{SecretKey: serverSecret}
	serverPub, _ := server.PublicKey()

	auth := &mechanism.Auth{}
	auth.AllowKey(clientSecret.Public())

	client := &mechanism.CurveClient{ServerKey: serverPub, SecretKey: clientSecret}
	clientPub, _, _ := client.Keys()

	user, err := auth.Authenticate(context.Background(), &mechanism.AuthRequest{Mechanism: "CURVE", Address: "10.0.0.7", PublicKey: clientPub[:]})
	fmt.Println(server.Name(), server.AsServer(), client.AsServer())
	fmt.Println(user, err)
	// Output:
	// CURVE true false
	// Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID <nil>
}

// A NOISE client pinning its server's key; without ServerKey it would
// accept any server and learn its key from the handshake.
func ExampleNoiseClient() {
	serverSecret, _ := mechanism.ParseSecretKey("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	server := &mechanism.NoiseServer{SecretKey: serverSecret}
	pin, _ := server.PublicKey()
	client := &mechanism.NoiseClient{ServerKey: pin} // a key pair is generated on first use
	fmt.Println(client.Name(), client.ServerKey)
	// Output: NOISE rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7
}

func ExampleAuth() {
	auth := &mechanism.Auth{}
	_ = auth.DenyAddr("192.0.2.0/24")
	_ = auth.AddUser("admin", "secret")

	ask := func(addr, user, pass string) {
		id, err := auth.Authenticate(context.Background(), &mechanism.AuthRequest{Mechanism: "PLAIN", Address: addr, Username: user, Password: pass})
		fmt.Printf("%q %v\n", id, err)
	}
	ask("10.0.0.1", "admin", "secret")
	ask("10.0.0.1", "admin", "guess")
	ask("::ffff:192.0.2.9", "admin", "secret") // IPv4-mapped: still on the deny list
	// Output:
	// "admin" <nil>
	// "" authentication denied: wrong password for PLAIN user "admin"
	// "" authentication denied: address "::ffff:192.0.2.9" is on the deny list
}

func ExamplePlainServer() {
	// A PLAIN server needs an authenticator: without one it refuses
	// everybody, as libzmq does without a ZAP handler.
	auth := &mechanism.Auth{}
	_ = auth.AddUser("admin", "secret")
	var server mechanism.Mechanism = mechanism.PlainServer{}
	var client mechanism.Mechanism = mechanism.PlainClient{Username: "admin", Password: "secret"}
	fmt.Println(server.Name(), server.AsServer(), client.AsServer())
	// Output: PLAIN true false
}
