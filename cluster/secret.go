package cluster

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"time"

	"google.golang.org/grpc/credentials"
)

// Members that share a secret authenticate each other with mutual TLS: the secret seeds one
// ed25519 key, every member presents a certificate for it, and a peer is accepted only if its
// certificate carries that same public key. Whoever lacks the secret cannot complete a handshake,
// so it can neither join nor be sent work, and the traffic is encrypted. The secret itself never
// travels and is never logged.

// secretCredentials returns the gRPC transport credentials for remote's server and dialer.
func secretCredentials(secret string) (credentials.TransportCredentials, error) {
	if secret == "" {
		return nil, errors.New("cluster secret is empty")
	}
	seed := sha256.Sum256([]byte("also cluster secret v1\x00" + secret))
	key := ed25519.NewKeyFromSeed(seed[:])
	pub := key.Public().(ed25519.PublicKey)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "also cluster member"},
		NotBefore:    time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, err
	}
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		if len(raw) == 0 {
			return errors.New("cluster peer presented no certificate")
		}
		cert, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		got, ok := cert.PublicKey.(ed25519.PublicKey)
		if !ok || !bytes.Equal(got, pub) {
			return errors.New("cluster peer does not hold this cluster's secret")
		}
		// The handshake itself proves the peer holds the private key of this certificate.
		return nil
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		ClientAuth:   tls.RequireAnyClientCert,
		// The chain check is ours (verify): every member's certificate is self-signed by the
		// shared key; host names are not what is authenticated.
		InsecureSkipVerify:    true,
		VerifyPeerCertificate: verify,
	}
	return credentials.NewTLS(cfg), nil
}

// isLoopback says whether host names only this machine (an empty host binds every interface).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
