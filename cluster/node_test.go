package cluster

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

func TestNodeConfigValidate(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:7000": "",
		"localhost:0":    "",
		"10.0.0.5:7000":  "--cluster-secret",
		"0.0.0.0:7000":   "not every interface",
		":7000":          "not every interface",
		"127.0.0.1":      "HOST:PORT",
	} {
		err := NodeConfig{Cluster: "c", Listen: listen}.Validate()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("--listen %s: error %v, want %q", listen, err, want)
		}
	}
	if err := (NodeConfig{Cluster: "c", Listen: "10.0.0.5:7000", Secret: "s"}).Validate(); err != nil {
		t.Errorf("a secret admits a non-loopback listener: %v", err)
	}
	if err := (NodeConfig{Listen: "127.0.0.1:0"}).Validate(); err == nil {
		t.Error("a member without a cluster name was accepted")
	}
}

// handshake runs one TLS handshake between a server and a client holding these secrets.
func handshake(t *testing.T, serverSecret, clientSecret string) error {
	t.Helper()
	sc, err := secretCredentials(serverSecret)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := secretCredentials(clientSecret)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	serverErr := make(chan error, 1)
	go func() {
		conn, err := l.Accept()
		if err != nil {
			serverErr <- err
			return
		}
		defer conn.Close()
		_, _, err = sc.ServerHandshake(conn)
		serverErr <- err
	}()
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _, cerr := cc.ClientHandshake(ctx, "member", conn)
	conn.Close()
	if serr := <-serverErr; serr != nil {
		return serr
	}
	return cerr
}

// Members holding the same secret complete mutual TLS; a peer with another secret is refused by
// the server it calls.
func TestSecretCredentialsAuthenticateBothWays(t *testing.T) {
	if err := handshake(t, "s3cret", "s3cret"); err != nil {
		t.Fatalf("same secret: %v", err)
	}
	if err := handshake(t, "s3cret", "other"); err == nil {
		t.Fatal("a client with another secret was accepted")
	}
	if _, err := secretCredentials(""); err == nil {
		t.Fatal("an empty secret made credentials")
	}
}
