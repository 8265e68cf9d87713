package mechanism

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

func authReq(mech, addr string) *AuthRequest { return &AuthRequest{Mechanism: mech, Address: addr} }

func TestAuthDecisionOrder(t *testing.T) {
	key, _ := newKeyPair(t)
	other, _ := newKeyPair(t)
	cases := []struct {
		name  string
		setup func(a *Auth) error
		req   *AuthRequest
		user  string // "" with deny=false means allowed with an empty id
		deny  bool
	}{
		{"NULL, empty lists", nil, authReq("NULL", "10.0.0.1"), "", false},
		{"deny list hit", func(a *Auth) error { return a.DenyAddr("10.0.0.1") }, authReq("NULL", "10.0.0.1"), "", true},
		{"deny list miss", func(a *Auth) error { return a.DenyAddr("10.0.0.1") }, authReq("NULL", "10.0.0.2"), "", false},
		{"deny CIDR", func(a *Auth) error { return a.DenyAddr("10.0.0.0/8") }, authReq("NULL", "10.200.0.1"), "", true},
		{"allow list hit", func(a *Auth) error { return a.AllowAddr("192.168.1.0/24") }, authReq("NULL", "192.168.1.9"), "", false},
		{"allow list miss", func(a *Auth) error { return a.AllowAddr("192.168.1.0/24") }, authReq("NULL", "192.168.2.9"), "", true},
		{"allow list makes deny list irrelevant", func(a *Auth) error { return errors.Join(a.AllowAddr("10.0.0.1"), a.DenyAddr("10.0.0.1")) }, authReq("NULL", "10.0.0.1"), "", false},
		{"allow list refuses a non-IP peer", func(a *Auth) error { return a.AllowAddr("10.0.0.1") }, authReq("NULL", ":1000:1000:42"), "", true},
		{"deny list ignores a non-IP peer", func(a *Auth) error { return a.DenyAddr("0.0.0.0/0", "::/0") }, authReq("NULL", ":1000:1000:42"), "", false},
		{"IPv4-mapped peer vs IPv4 entry", func(a *Auth) error { return a.DenyAddr("10.0.0.1") }, authReq("NULL", "::ffff:10.0.0.1"), "", true},
		{"IPv4 peer vs IPv4-mapped entry", func(a *Auth) error { return a.DenyAddr("::ffff:10.0.0.1") }, authReq("NULL", "10.0.0.1"), "", true},
		{"IPv4 peer vs IPv4-mapped CIDR", func(a *Auth) error { return a.DenyAddr("::ffff:10.0.0.0/104") }, authReq("NULL", "10.1.2.3"), "", true},
		{"IPv4 peer vs ::/0", func(a *Auth) error { return a.DenyAddr("::/0") }, authReq("NULL", "10.1.2.3"), "", true},
		{"IPv6 peer", func(a *Auth) error { return a.AllowAddr("fe80::/10") }, authReq("NULL", "fe80::1%eth0"), "", false},
		{"IPv6 loopback", func(a *Auth) error { return a.AllowAddr("::1") }, authReq("NULL", "::1"), "", false},
		{"address denied before the password is looked at", func(a *Auth) error { return errors.Join(a.DenyAddr("10.0.0.1"), a.AddUser("u", "p")) },
			&AuthRequest{Mechanism: "PLAIN", Address: "10.0.0.1", Username: "u", Password: "p"}, "", true},
		{"PLAIN user", func(a *Auth) error { return a.AddUser("u", "p") }, &AuthRequest{Mechanism: "PLAIN", Username: "u", Password: "p"}, "u", false},
		{"PLAIN wrong password", func(a *Auth) error { return a.AddUser("u", "p") }, &AuthRequest{Mechanism: "PLAIN", Username: "u", Password: "q"}, "", true},
		{"PLAIN password prefix", func(a *Auth) error { return a.AddUser("u", "pass") }, &AuthRequest{Mechanism: "PLAIN", Username: "u", Password: "pas"}, "", true},
		{"PLAIN unknown user", func(a *Auth) error { return a.AddUser("u", "p") }, &AuthRequest{Mechanism: "PLAIN", Username: "v", Password: "p"}, "", true},
		{"PLAIN empty registry", nil, &AuthRequest{Mechanism: "PLAIN", Username: "", Password: ""}, "", true},
		{"CURVE listed key", func(a *Auth) error { a.AllowKey(key); return nil }, &AuthRequest{Mechanism: "CURVE", PublicKey: key[:]}, key.String(), false},
		{"NOISE listed key", func(a *Auth) error { a.AllowKey(key); return nil }, &AuthRequest{Mechanism: "NOISE", PublicKey: key[:]}, key.String(), false},
		{"CURVE unlisted key", func(a *Auth) error { a.AllowKey(other); return nil }, &AuthRequest{Mechanism: "CURVE", PublicKey: key[:]}, "", true},
		{"CURVE empty registry (curve_auth on by default)", nil, &AuthRequest{Mechanism: "CURVE", PublicKey: key[:]}, "", true},
		{"CURVE curve_auth off", func(a *Auth) error { a.SetCurveAuth(false); return nil }, &AuthRequest{Mechanism: "CURVE", PublicKey: key[:]}, "", false},
		{"CURVE short key", func(a *Auth) error { a.AllowKey(key); return nil }, &AuthRequest{Mechanism: "CURVE", PublicKey: key[:31]}, "", true},
		{"unknown mechanism", nil, authReq("GSSAPI", ""), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &Auth{}
			if tc.setup != nil {
				mustOK(t, tc.setup(a))
			}
			user, err := a.Authenticate(context.Background(), tc.req)
			if tc.deny {
				if !errors.Is(err, ErrDenied) {
					t.Fatalf("got %q %v, want ErrDenied", user, err)
				}
				return
			}
			if err != nil || user != tc.user {
				t.Fatalf("got %q %v, want %q", user, err, tc.user)
			}
		})
	}
}

func TestAuthEditing(t *testing.T) {
	a := &Auth{}
	if err := a.AllowAddr("10.0.0.1", "not-an-ip"); err == nil {
		t.Fatal("bad address accepted")
	}
	if len(a.AllowedAddrs()) != 0 {
		t.Fatal("a failed AllowAddr changed the list")
	}
	if err := a.AllowAddr("10.0.0.1", "10.1.2.3/8", "::ffff:192.168.0.1", "2001:db8::/32"); err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.0/8", "10.0.0.1", "192.168.0.1", "2001:db8::/32"}
	if got := a.AllowedAddrs(); !slices.Equal(got, want) {
		t.Fatalf("AllowedAddrs = %q, want %q", got, want)
	}
	if err := a.RemoveAllowedAddr("10.0.0.0/8", "192.168.0.1"); err != nil {
		t.Fatal(err)
	}
	if got := a.AllowedAddrs(); !slices.Equal(got, []string{"10.0.0.1", "2001:db8::/32"}) {
		t.Fatalf("after removal: %q", got)
	}
	if err := a.SetAllowedAddrs(nil); err != nil || len(a.AllowedAddrs()) != 0 {
		t.Fatal("SetAllowedAddrs(nil)")
	}
	mustOK(t, a.DenyAddr("1.2.3.4"))
	if err := a.SetDeniedAddrs([]string{"5.6.7.8"}); err != nil || !slices.Equal(a.DeniedAddrs(), []string{"5.6.7.8"}) {
		t.Fatalf("SetDeniedAddrs: %q", a.DeniedAddrs())
	}
	mustOK(t, a.RemoveDeniedAddr("5.6.7.8"))
	if len(a.DeniedAddrs()) != 0 {
		t.Fatal("RemoveDeniedAddr")
	}

	if err := a.AddUser("bob", string(make([]byte, 256))); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("long password: %v", err)
	}
	mustOK(t, a.AddUser("bob", "1"))
	mustOK(t, a.AddUser("alice", "2"))
	mustOK(t, a.AddUser("bob", "3")) // changes bob's password
	if !slices.Equal(a.Users(), []string{"alice", "bob"}) {
		t.Fatalf("Users = %q", a.Users())
	}
	if _, err := a.Authenticate(context.Background(), &AuthRequest{Mechanism: "PLAIN", Username: "bob", Password: "1"}); !errors.Is(err, ErrDenied) {
		t.Fatal("old password still works")
	}
	a.RemoveUser("bob")
	if _, err := a.Authenticate(context.Background(), &AuthRequest{Mechanism: "PLAIN", Username: "bob", Password: "3"}); !errors.Is(err, ErrDenied) {
		t.Fatal("removed user still works")
	}
	if err := a.SetUsers(map[string]string{"carol": "x"}); err != nil || !slices.Equal(a.Users(), []string{"carol"}) {
		t.Fatalf("SetUsers: %v %q", err, a.Users())
	}

	k1, _ := newKeyPair(t)
	k2, _ := newKeyPair(t)
	a.AllowKey(k1, k2)
	if len(a.Keys()) != 2 {
		t.Fatal("AllowKey")
	}
	a.RemoveKey(k1)
	if got := a.Keys(); len(got) != 1 || got[0] != k2 {
		t.Fatal("RemoveKey")
	}
	a.SetKeys([]PublicKey{k1})
	if got := a.Keys(); len(got) != 1 || got[0] != k1 {
		t.Fatal("SetKeys")
	}
	if !a.CurveAuth() {
		t.Fatal("curve_auth must default to on")
	}
	a.SetCurveAuth(false)
	if a.CurveAuth() {
		t.Fatal("SetCurveAuth(false)")
	}
}

func TestAuthConcurrentUse(t *testing.T) {
	a := &Auth{}
	key, _ := newKeyPair(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				err := errors.Join(a.AllowAddr(fmt.Sprintf("10.0.%d.%d", i, j)), a.AddUser(fmt.Sprint("u", i), "p"))
				a.AllowKey(key)
				a.SetCurveAuth(j%2 == 0)
				if err = errors.Join(err, a.RemoveAllowedAddr(fmt.Sprintf("10.0.%d.%d", i, j))); err != nil {
					t.Error(err) // not Fatal: this is not the test's goroutine
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				_, _ = a.Authenticate(context.Background(), &AuthRequest{Mechanism: "PLAIN", Address: "10.0.0.1", Username: "u1", Password: "p"})
				_, _ = a.Authenticate(context.Background(), &AuthRequest{Mechanism: "CURVE", Address: "10.0.0.1", PublicKey: key[:]})
				_ = a.AllowedAddrs()
			}
		}()
	}
	wg.Wait()
}

func TestAuthRunsWithPlainAndNullEndToEnd(t *testing.T) {
	a := &Auth{}
	mustOK(t, a.AddUser("admin", "secret"))
	mustOK(t, a.DenyAddr("127.0.0.1"))
	// NULL consults the authenticator on the accepting side only.
	cl, sv := pair{client: Null{}, server: Null{}, serverAuth: a}.run(t)
	if !errors.Is(sv.err, ErrDenied) {
		t.Fatalf("NULL server: %v", sv.err)
	}
	if he := mustHandshakeError(t, "client", cl.err); he.Reason != "peer sent ERROR: 400" {
		t.Fatalf("NULL client: %v", he)
	}
	mustOK(t, a.RemoveDeniedAddr("127.0.0.1"))
	cl, sv = pair{client: PlainClient{"admin", "secret"}, server: PlainServer{}, serverAuth: a}.run(t)
	if cl.err != nil || sv.err != nil || sv.res.UserID != "admin" {
		t.Fatalf("PLAIN: client %v, server %v", cl.err, sv.err)
	}
}
