package mechanism

import (
	"bytes"
	"encoding/binary"
	"sync"
	"testing"

	"github.com/flynn/noise"
	"github.com/zmesh/zmesh/internal/zmtp"
	"golang.org/x/crypto/nacl/secretbox"
)

// Fuzz targets for every parser that reads bytes from the network: Z85,
// PLAIN's four commands, CURVE's four commands and MESSAGE, NOISE's
// handshake and transport. Handshake states are built from a deterministic
// random source, so a corpus entry that was a valid command stays one, and
// the fuzzer starts from deep inside each parser. Seed corpora beyond the
// f.Add seeds live in testdata/fuzz/<target>/.

var fuzzMetadata = Metadata{{Name: "Socket-Type", Value: "CLIENT"}, {Name: "X-Trace", Value: "on"}}

func FuzzZ85(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	f.Add("%nSc0%nSc1")
	f.Add("Hell~")
	f.Add("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\x00")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Z85Decode(s)
		if err == nil {
			back, err := Z85Encode(b)
			if err != nil || back != s {
				t.Fatalf("%q decodes to %x, which encodes to %q (%v)", s, b, back, err)
			}
		}
		if k, err := ParsePublicKey(s); err == nil && len(s) == 40 && k.String() != s {
			t.Fatalf("key %q prints as %q", s, k)
		}
		if len(s)%4 == 0 {
			enc, err := Z85Encode([]byte(s))
			if err != nil {
				t.Fatal(err)
			}
			if dec, err := Z85Decode(enc); err != nil || string(dec) != s {
				t.Fatalf("round trip of %x: %x %v", s, dec, err)
			}
		}
	})
}

func FuzzPlainHello(f *testing.F) {
	f.Add(appendPlainHello(nil, "admin", "secret"))
	f.Add(appendPlainHello(nil, "", ""))
	f.Add(AppendCommand(nil, zmtp.CmdHello, []byte("\x05adm")))
	f.Fuzz(func(t *testing.T, body []byte) {
		u, p, err := parsePlainHello(body)
		if err != nil {
			return
		}
		if got := appendPlainHello(nil, u, p); !bytes.Equal(got, body) {
			t.Fatalf("HELLO %x parsed as %q/%q, which encodes to %x", body, u, p, got)
		}
	})
}

func FuzzPlainWelcome(f *testing.F) {
	f.Add(AppendCommand(nil, zmtp.CmdWelcome))
	f.Add(zmtp.AppendError(nil, "400"))
	f.Add([]byte("^RROR\x03400"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := parsePlainWelcome(body); (err == nil) != bytes.Equal(body, AppendCommand(nil, zmtp.CmdWelcome)) {
			t.Fatalf("WELCOME %x: %v", body, err)
		}
	})
}

func FuzzPlainInitiate(f *testing.F) {
	f.Add(AppendCommand(nil, zmtp.CmdInitiate))
	fuzzPropertiesCommand(f, "INITIATE", parsePlainInitiate)
}

func FuzzPlainReady(f *testing.F) {
	f.Add(zmtp.AppendError(nil, "400"))
	f.Add([]byte("^RROR\x03400"))
	fuzzPropertiesCommand(f, "READY", ExpectReady)
}

// fuzzPropertiesCommand fuzzes the parser of a command that carries only
// properties: it never panics, and what it accepts re-encodes to the body.
func fuzzPropertiesCommand(f *testing.F, name string, parse func([]byte) (Metadata, error)) {
	f.Add(fuzzMetadata.Append(AppendCommand(nil, name)))
	f.Fuzz(func(t *testing.T, body []byte) {
		md, err := parse(body)
		if err != nil {
			return
		}
		if got := md.Append(AppendCommand(nil, name)); !bytes.Equal(got, body) {
			t.Fatalf("%s %x re-encodes to %x", name, body, got)
		}
	})
}

// curveFixture is one deterministic CURVE handshake, with each side's state
// saved before each step (states are plain values, so copies are fresh).
type curveFixture struct {
	server0, server1                    curveServer // before HELLO; before INITIATE
	client1, client2                    curveClient // before WELCOME; before READY
	hello, welcome, initiate, ready     []byte
	clientCodec, serverCodec            curveCodec
	initiatePrefix, initiateInnerPrefix []byte   // INITIATE up to its box; C ‖ vouch
	shared                              [32]byte // the C'↔S' box key
	clientPub, serverPub                PublicKey
	clientSec, serverSec                SecretKey
}

var getCurveFixture = sync.OnceValue(func() *curveFixture {
	fx := &curveFixture{clientPub: libzmqClientPublic, clientSec: libzmqClientSecret, serverPub: libzmqServerPublic, serverSec: libzmqServerSecret}
	cl, err := newCurveClient(&detReader{1}, fx.serverPub, fx.clientPub, fx.clientSec)
	if err != nil {
		panic(err)
	}
	sv := newCurveServer(&detReader{2}, fx.serverPub, fx.serverSec)
	fx.server0 = *sv
	fx.hello = cl.hello()
	fx.client1 = *cl
	if fx.welcome, err = sv.onHello(fx.hello); err != nil {
		panic(err)
	}
	fx.server1 = *sv
	if fx.initiate, err = cl.onWelcome(fx.welcome, fuzzMetadata); err != nil {
		panic(err)
	}
	fx.client2 = *cl
	if _, err := sv.onInitiate(fx.initiate); err != nil {
		panic(err)
	}
	fx.ready = sv.ready(Metadata{{Name: "Socket-Type", Value: "SERVER"}})
	if _, err := cl.onReady(fx.ready); err != nil {
		panic(err)
	}
	fx.clientCodec, fx.serverCodec = *cl.codec(), *sv.codec()
	fx.shared = cl.shared
	fx.initiatePrefix = fx.initiate[:113]
	inner, _ := secretbox.Open(nil, fx.initiate[113:], ptr(shortNonce(nonceInitiate, 2)), &fx.shared)
	fx.initiateInnerPrefix = inner[:128]
	return fx
})

func ptr[T any](v T) *T { return &v }

func FuzzCurveHello(f *testing.F) {
	fx := getCurveFixture()
	f.Add(fx.hello)
	f.Add(fx.hello[:199])
	f.Add(AppendCommand(nil, zmtp.CmdHello, []byte{2, 0}))
	f.Fuzz(func(t *testing.T, body []byte) {
		st := fx.server0
		st.rand = &detReader{2}
		welcome, err := st.onHello(body)
		if err != nil {
			return
		}
		if len(body) != curveHelloSize || len(welcome) != curveWelcomeSize {
			t.Fatalf("accepted a %d-byte HELLO, answered %d bytes", len(body), len(welcome))
		}
	})
}

func FuzzCurveWelcome(f *testing.F) {
	fx := getCurveFixture()
	f.Add(fx.welcome)
	f.Add(fx.welcome[:100])
	f.Add(zmtp.AppendError(nil, "400"))
	f.Fuzz(func(t *testing.T, body []byte) {
		st := fx.client1
		st.rand = &detReader{3}
		if _, err := st.onWelcome(body, fuzzMetadata); err == nil && !bytes.Equal(body, fx.welcome) {
			t.Fatalf("accepted a forged WELCOME %x", body)
		}
	})
}

// FuzzCurveInitiate feeds the server either a raw INITIATE (sealed=false),
// which only the recorded one may pass, or metadata bytes that it seals into
// an otherwise valid INITIATE (sealed=true), which must pass exactly when
// the metadata parses.
func FuzzCurveInitiate(f *testing.F) {
	fx := getCurveFixture()
	f.Add(fx.initiate, false)
	f.Add(fx.initiate[:256], false)
	f.Add(fuzzMetadata.Append(nil), true)
	f.Add([]byte("\x0bSocket-Type\x00\x00\x00\x07CLIENT"), true)
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		st := fx.server1
		body := data
		if sealed {
			inner := append(append([]byte(nil), fx.initiateInnerPrefix...), data...)
			body = secretbox.Seal(append([]byte(nil), fx.initiatePrefix...), inner, ptr(shortNonce(nonceInitiate, 2)), &fx.shared)
		}
		md, err := st.onInitiate(body)
		if !sealed {
			if err == nil && !bytes.Equal(body, fx.initiate) {
				t.Fatalf("accepted a forged INITIATE %x", body)
			}
			return
		}
		_, perr := parseMetadata(data)
		if (err == nil) != (perr == nil) {
			t.Fatalf("metadata %x: server says %v, parser says %v", data, err, perr)
		}
		if err == nil && (st.clientKey != fx.clientPub || len(md) == 0 && len(data) != 0) {
			t.Fatalf("client key %s, %d properties from %d bytes", st.clientKey, len(md), len(data))
		}
	})
}

// FuzzCurveReady is FuzzCurveInitiate's counterpart at the client.
func FuzzCurveReady(f *testing.F) {
	fx := getCurveFixture()
	f.Add(fx.ready, false)
	f.Add(zmtp.AppendError(nil, "400"), false)
	f.Add(Metadata{{Name: "Socket-Type", Value: "SERVER"}}.Append(nil), true)
	f.Fuzz(func(t *testing.T, data []byte, sealed bool) {
		st := fx.client2
		body := data
		if sealed {
			b := binary.BigEndian.AppendUint64(AppendCommand(nil, "READY"), 1)
			body = secretbox.Seal(b, data, ptr(shortNonce(nonceReady, 1)), &fx.shared)
		}
		_, err := st.onReady(body)
		if !sealed {
			if err == nil && !bytes.Equal(body, fx.ready) {
				t.Fatalf("accepted a forged READY %x", body)
			}
			return
		}
		if _, perr := parseMetadata(data); (err == nil) != (perr == nil) {
			t.Fatalf("metadata %x: client says %v, parser says %v", data, err, perr)
		}
	})
}

// FuzzCurveMessage opens raw MESSAGE bodies (which must never pass unless
// sealed by the peer) and round-trips sealed ones.
func FuzzCurveMessage(f *testing.F) {
	fx := getCurveFixture()
	c := fx.clientCodec
	fr := mustSeal(f, &c, FlagCommand, zmtp.AppendPing(nil, 0, nil))
	f.Add(fr.body, byte(0), false)
	f.Add([]byte("hello"), byte(FlagMore), true)
	f.Add([]byte{}, byte(0), true)
	f.Fuzz(func(t *testing.T, data []byte, flags byte, sealed bool) {
		client, server := fx.clientCodec, fx.serverCodec
		if !sealed {
			if _, _, err := server.Open(flags, data); err == nil && !bytes.Equal(data, fr.body) {
				t.Fatalf("opened a forged MESSAGE %x", data)
			}
			return
		}
		wire, err := client.Seal(nil, flags, data)
		if err != nil {
			t.Fatal(err)
		}
		frm, rest, err := splitFrame(wire)
		if err != nil || len(rest) != 0 || frm.flags&^FlagLong != 0 {
			t.Fatalf("Seal made a bad frame: %v, flags %#x", err, frm.flags)
		}
		gf, got, err := server.Open(frm.flags, frm.body)
		if err != nil || !bytes.Equal(got, data) || gf != flags&(FlagMore|FlagCommand) {
			t.Fatalf("round trip of %x/%#x: %x/%#x %v", data, flags, got, gf, err)
		}
	})
}

// noiseInput builds a deterministic NOISE handshake up to the given step
// (0: HELLO to the responder, 1: WELCOME to the initiator, 2: INITIATE to
// the responder, 3: READY to the initiator) and returns both states, ready
// for that step, and the message a correct peer would send there. With
// sealed, data is taken as the properties that INITIATE or READY carry and
// is encrypted properly into the message returned as input.
func noiseInput(t testing.TB, step int, data []byte, sealed bool) (ini *noiseInitiator, res *noiseResponder, input, legit []byte) {
	cg, sg := testGreeting("NOISE", false), testGreeting("NOISE", true)
	prologue, _ := noisePrologue(cg, sg)
	ini, err := newNoiseInitiator(nil, &detReader{5}, libzmqClientPublic, libzmqClientSecret, prologue, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err = newNoiseResponder(&detReader{6}, libzmqServerPublic, libzmqServerSecret, prologue)
	if err != nil {
		t.Fatal(err)
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	input = data
	legit = must(ini.hello())
	if step == 0 {
		return ini, res, input, legit
	}
	legit = must(res.onHello(legit))
	if step == 1 {
		return ini, res, input, legit
	}
	if sealed && step == 2 {
		if _, _, _, err := ini.hs.ReadMessage(nil, legit[8:]); err != nil {
			t.Fatal(err)
		}
		input, _, _, err = ini.hs.WriteMessage(AppendCommand(nil, "INITIATE"), data)
		return ini, res, must(input, err), nil
	}
	legit = must(ini.onWelcome(legit, fuzzMetadata))
	if step == 2 {
		return ini, res, input, legit
	}
	if _, err := res.onInitiate(legit); err != nil {
		t.Fatal(err)
	}
	if sealed {
		return ini, res, must(res.codec.sealReady(AppendCommand(nil, "READY"), data)), nil
	}
	return ini, res, input, must(res.ready(Metadata{{Name: "Socket-Type", Value: "SERVER"}}))
}

// FuzzNoiseHandshake feeds one handshake step (step%4, as noiseInput
// numbers them) either raw bytes, which must not pass unless they are what
// the peer sent, or, when sealed, properties that the fixture encrypts
// properly into INITIATE or READY, which must pass exactly when they parse.
func FuzzNoiseHandshake(f *testing.F) {
	for step := 0; step < 4; step++ {
		_, _, _, legit := noiseInput(f, step, nil, false)
		f.Add(byte(step), legit, false)
	}
	f.Add(byte(0), AppendCommand(nil, zmtp.CmdHello, []byte{2}), false)
	f.Add(byte(2), fuzzMetadata.Append(nil), true)
	f.Add(byte(3), fuzzMetadata.Append(nil), true)
	f.Fuzz(func(t *testing.T, step byte, data []byte, sealed bool) {
		step %= 4
		sealed = sealed && step >= 2
		if sealed && len(data) > noiseMaxMessage-64 {
			return
		}
		ini, res, input, legit := noiseInput(t, int(step), data, sealed)
		var err error
		switch step {
		case 0:
			_, err = res.onHello(input)
		case 1:
			_, err = ini.onWelcome(input, fuzzMetadata)
		case 2:
			_, err = res.onInitiate(input)
		case 3:
			_, err = ini.onReady(input)
		}
		if sealed {
			if _, perr := parseMetadata(data); (err == nil) != (perr == nil) {
				t.Fatalf("step %d, properties %x: handshake says %v, parser says %v", step, data, err, perr)
			}
			return
		}
		// Any 32 bytes are a HELLO's ephemeral key; later steps are
		// authenticated.
		if err == nil && step != 0 && !bytes.Equal(input, legit) {
			t.Fatalf("step %d accepted a forged message %x", step, input)
		}
	})
}

// FuzzNoiseTransport opens raw transport frames (which must never pass)
// and round-trips sealed ones through codecs that rekey every 2 messages.
// Sealed bodies are kept under one chunk: ChaCha20 is slow under the
// fuzzer's instrumentation (and large new inputs cost minutes of
// minimising), while multi-chunk frames are covered byte for byte by
// TestNoiseRekeyInsideMultiChunkFrames and TestCodecRejectsTamperedFrames.
func FuzzNoiseTransport(f *testing.F) {
	f.Add([]byte("hello"), byte(0), true)
	f.Add([]byte{}, byte(FlagCommand), true)
	f.Add(make([]byte, 16), byte(0), false)
	f.Fuzz(func(t *testing.T, data []byte, flags byte, sealed bool) {
		var k [32]byte
		k[31] = 9
		a := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 2)
		b := newNoiseCodec(noise.UnsafeNewCipherState(noiseSuite, k, 0), noise.UnsafeNewCipherState(noiseSuite, k, 0), 2)
		if !sealed {
			if _, _, err := b.Open(flags, data); err == nil {
				t.Fatalf("opened a forged frame %x", data)
			}
			return
		}
		if len(data) > 4096 {
			data = data[:4096]
		}
		for i := 0; i < 3; i++ {
			wire, err := a.Seal(nil, flags, data)
			if err != nil {
				t.Fatal(err)
			}
			frm, rest, err := splitFrame(wire)
			if err != nil || len(rest) != 0 || len(frm.body) != len(data)+a.Overhead(len(data)) {
				t.Fatalf("Seal made a bad frame: %v", err)
			}
			gf, got, err := b.Open(frm.flags, frm.body)
			if err != nil || !bytes.Equal(got, data) || gf != flags&(FlagMore|FlagCommand) {
				t.Fatalf("round trip %d of %d bytes: %v", i, len(data), err)
			}
		}
	})
}
