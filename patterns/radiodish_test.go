package patterns

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zmesh/zmesh/socket"
)

// waitJoined transmits probes until the dish receives one, so the radio has
// seen the dish's JOIN (the slow-joiner rule: earlier messages are lost).
func waitJoined(t *testing.T, r *Radio, d *Dish, group string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if err := r.Transmit(testCtx(t), []byte("probe"), group); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
		got := false
		for {
			m, err := d.TryRecv()
			if err != nil {
				break
			}
			if m.Group == group && string(m.Body) == "probe" {
				got = true
			}
		}
		if got {
			return
		}
	}
	t.Fatalf("dish never joined %q", group)
}

func TestRadioDishEveryTransport(t *testing.T) {
	for name, ep := range endpoints(t) {
		if name == "tcp6" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ctx := testCtx(t)
			zctx := newCtx(t)
			d, err := NewDish(zctx, Options{})
			must(t, err)
			must(t, d.Bind(ep))
			bound, err := d.LastEndpoint()
			must(t, err)
			r, err := NewRadio(zctx, Options{}, RadioOptions{})
			must(t, err)
			must(t, r.Connect(bound))
			long := strings.Repeat("g", MaxGroupLen)
			for _, g := range []string{"weather", long, ""} {
				if err := d.Join(g); err != nil {
					t.Fatal(err)
				}
			}
			waitJoined(t, r, d, "weather")
			r.Transmit(ctx, []byte("not joined"), "sports")
			r.Transmit(ctx, []byte("rain"), "weather")
			r.Transmit(ctx, []byte("long"), long)
			r.Transmit(ctx, []byte("empty"), "")
			for _, want := range []struct{ g, b string }{{"weather", "rain"}, {long, "long"}, {"", "empty"}} {
				m, err := d.Recv(ctx)
				must(t, err)
				if m.Group != want.g || string(m.Body) != want.b {
					t.Fatalf("got %q in %q, want %q in %q", m.Body, m.Group, want.b, want.g)
				}
			}
			// Leave stops delivery.
			if err := d.Leave("weather"); err != nil {
				t.Fatal(err)
			}
			waitJoined(t, r, d, "") // the LEAVE has arrived once a later probe does
			r.Transmit(ctx, []byte("after leave"), "weather")
			r.Transmit(ctx, []byte("marker"), "")
			m, err := d.Recv(ctx)
			if err != nil || string(m.Body) != "marker" {
				t.Fatalf("after leave got %q in %q (%v), want the marker", m.Body, m.Group, err)
			}
		})
	}
}

func TestDishJoinLeaveErrors(t *testing.T) {
	d, err := NewDish(newCtx(t), Options{})
	must(t, err)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"double join", func() error { d.Join("a"); return d.Join("a") }()},
		{"leave unjoined", d.Leave("nope")},
		{"group over 255 bytes", d.Join(strings.Repeat("x", 256))},
		{"group with NUL", d.Join("a\x00b")},
	} {
		if !errors.Is(tc.err, socket.ErrInvalidInput) {
			t.Errorf("%s: %v, want ErrInvalidInput", tc.name, tc.err)
		}
	}
	if got := d.Joined(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("Joined() = %v", got)
	}
	r, err := NewRadio(newCtx(t), Options{}, RadioOptions{})
	must(t, err)
	if err := r.Transmit(testCtx(t), nil, strings.Repeat("x", 256)); !errors.Is(err, socket.ErrInvalidInput) {
		t.Fatalf("transmit to a 256-byte group: %v", err)
	}
}

func TestRadioDropsAtHWMUnlessNoDrop(t *testing.T) {
	for _, noDrop := range []bool{false, true} {
		t.Run(fmt.Sprint("noDrop=", noDrop), func(t *testing.T) {
			zctx := newCtx(t)
			d, err := NewDish(zctx, Options{RecvHWM: 5})
			must(t, err)
			must(t, d.Bind("inproc://hwm"))
			must(t, d.Join("g"))
			r, err := NewRadio(zctx, Options{SendHWM: 5, SendTimeout: 20 * time.Millisecond}, RadioOptions{NoDrop: noDrop})
			must(t, err)
			must(t, r.Connect("inproc://hwm"))
			var failed error
			for i := 0; i < 50; i++ {
				if err := r.TryTransmit([]byte("x"), "g"); err != nil {
					failed = err
					break
				}
			}
			if noDrop {
				if !errors.Is(failed, socket.ErrWouldBlock) {
					t.Fatalf("no-drop radio at HWM: %v, want ErrWouldBlock", failed)
				}
				if err := r.Transmit(testCtx(t), []byte("x"), "g"); !errors.Is(err, socket.ErrWouldBlock) {
					t.Fatalf("blocking no-drop transmit with a timeout: %v", err)
				}
			} else if failed != nil {
				t.Fatalf("lossy radio failed a send: %v", failed)
			}
			n := 0
			for {
				if _, err := d.TryRecv(); err != nil {
					break
				}
				n++
			}
			if n != 10 { // inproc HWM: 5 + 5
				t.Fatalf("dish got %d messages, want the HWM's 10", n)
			}
		})
	}
}

func TestScatterGatherRoundRobin(t *testing.T) {
	ctx := testCtx(t)
	zctx := newCtx(t)
	s, err := NewScatter(zctx, Options{})
	must(t, err)
	var gathers []*Gather
	for i := 0; i < 2; i++ {
		g, err := NewGather(zctx, Options{})
		must(t, err)
		must(t, g.Bind("tcp://127.0.0.1:*"))
		ep, err := g.LastEndpoint()
		must(t, err)
		must(t, s.Connect(ep))
		gathers = append(gathers, g)
	}
	const n = 1000
	for i := 0; i < n; i++ {
		if err := s.Send(ctx, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for gi, g := range gathers {
		for i := 0; i < n/2; i++ {
			m, err := g.Recv(ctx)
			if err != nil {
				t.Fatalf("gather %d, message %d: %v", gi, i, err)
			}
			if seen[string(m.Body)] {
				t.Fatalf("message %q delivered twice", m.Body)
			}
			seen[string(m.Body)] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), n)
	}
}

// A blocked no-drop radio must wake when the dish drains (inproc).
func TestNoDropRadioResumesAsDishDrains(t *testing.T) {
	ctx := testCtx(t)
	zctx := newCtx(t)
	d, err := NewDish(zctx, Options{RecvHWM: 10})
	must(t, err)
	must(t, d.Bind("inproc://nodrop"))
	must(t, d.Join("g"))
	r, err := NewRadio(zctx, Options{SendHWM: 10}, RadioOptions{NoDrop: true})
	must(t, err)
	must(t, r.Connect("inproc://nodrop"))
	const n = 20000
	done := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			if err := r.Transmit(ctx, []byte("x"), "g"); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < n; i++ {
		if _, err := d.Recv(ctx); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Over inproc too, a dish only receives the groups it joined.
func TestInprocDishFiltersGroups(t *testing.T) {
	ctx := testCtx(t)
	zctx := newCtx(t)
	d, err := NewDish(zctx, Options{})
	must(t, err)
	must(t, d.Bind("inproc://filter"))
	must(t, d.Join("yes"))
	r, err := NewRadio(zctx, Options{}, RadioOptions{})
	must(t, err)
	must(t, r.Connect("inproc://filter"))
	// The radio learns joins over inproc at once; send to a group the
	// radio cannot know is unjoined by a stale subscription, too.
	r.Transmit(ctx, []byte("no"), "no")
	r.Transmit(ctx, []byte("yes"), "yes")
	m, err := d.Recv(ctx)
	if err != nil || m.Group != "yes" {
		t.Fatalf("got %q in %q (%v)", m.Body, m.Group, err)
	}
	must(t, d.Leave("yes"))
	r.Transmit(ctx, []byte("late"), "yes")
	if m, err := d.TryRecv(); err == nil {
		t.Fatalf("message after leave: %q", m.Body)
	}
}

// A connecting radio whose link is replaced (the dish restarted) forgets
// the old link's joins: one subscription per live dish.
func TestRadioForgetsJoinsOfAGoneLink(t *testing.T) {
	zctx := newCtx(t)
	d, err := NewDish(zctx, Options{})
	must(t, err)
	ep := bindLoopback(t, d)
	must(t, d.Join("g"))
	r, err := NewRadio(zctx, Options{ReconnectInterval: 10 * time.Millisecond}, RadioOptions{})
	must(t, err)
	mon := r.Monitor()
	must(t, r.Connect(ep))
	waitJoined(t, r, d, "g")
	d.Close()
	waitFor(t, mon, socket.EventDisconnected)
	d2, err := NewDish(zctx, Options{})
	must(t, err)
	for i := 0; i < 100; i++ {
		if d2.Bind(ep) == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	must(t, d2.Join("g"))
	waitJoined(t, r, d2, "g")
	r.peers.mu.RLock()
	n := len(r.peers.subs["g"])
	r.peers.mu.RUnlock()
	if n != 1 {
		t.Fatalf("radio holds %d subscriptions for g, want 1 (the live dish)", n)
	}
}

// TestInprocJoinWhileTransmitting: over inproc a Transmit runs the dish's
// filter (its membership lock) under the dish's queue lock while holding
// the radio's subscription lock, and a Join or Leave tells the radio (its
// subscription lock) at once: the dish must not hold its membership lock
// while it does, or the two deadlock.
func TestInprocJoinWhileTransmitting(t *testing.T) {
	zctx := newCtx(t)
	r, err := NewRadio(zctx, Options{SendHWM: socket.Unlimited}, RadioOptions{})
	must(t, err)
	must(t, r.Bind("inproc://join-while-transmitting"))
	d, err := NewDish(zctx, Options{RecvHWM: socket.Unlimited})
	must(t, err)
	must(t, d.Connect("inproc://join-while-transmitting"))
	must(t, d.Join("g"))
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := r.Transmit(context.Background(), []byte("x"), "g"); err != nil {
				done <- err
				return
			}
			for {
				if _, err := d.TryRecv(); err != nil {
					break
				}
			}
		}
	}()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for i := 0; i < 2000; i++ {
			g := "h" + strconv.Itoa(i%7)
			if err := d.Join(g); err != nil {
				t.Errorf("join %s: %v", g, err)
				return
			}
			if err := d.Leave(g); err != nil {
				t.Errorf("leave %s: %v", g, err)
				return
			}
		}
	}()
	select {
	case <-finished:
	case <-time.After(20 * time.Second):
		t.Fatal("Join/Leave deadlocked against Transmit")
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A group joined while a radio's connection comes up is joined once at
// the radio: the radio counts joins (as libzmq's does), so a JOIN sent
// both before and with the dish's groups would outlive the one LEAVE.
func TestJoinDuringPeerUp(t *testing.T) {
	zctx := newCtx(t)
	r, err := NewRadio(zctx, Options{}, RadioOptions{})
	must(t, err)
	t.Cleanup(func() { r.Close() })
	ep := bindLoopback(t, r)
	const n = 30
	groups := func() int {
		r.peers.mu.RLock()
		defer r.peers.mu.RUnlock()
		return len(r.peers.subs)
	}
	for round := 0; round < 10; round++ {
		d, err := NewDish(zctx, Options{})
		must(t, err)
		must(t, d.Connect(ep))
		// The joins are spread over the connection's handshake.
		for i := 0; i < n; i++ {
			must(t, d.Join(fmt.Sprintf("g%02d", i)))
			time.Sleep(20 * time.Microsecond)
		}
		waitJoined(t, r, d, fmt.Sprintf("g%02d", n-1))
		for i := 0; i < n; i++ {
			must(t, d.Leave(fmt.Sprintf("g%02d", i)))
		}
		deadline := time.Now().Add(5 * time.Second)
		for groups() > 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if k := groups(); k > 0 {
			r.peers.mu.RLock()
			t.Errorf("round %d: the radio still counts joins after every LEAVE: %v", round, r.peers.subs)
			r.peers.mu.RUnlock()
		}
		must(t, d.Close())
	}
}
