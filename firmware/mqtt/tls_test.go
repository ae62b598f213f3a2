package mqtt

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/serlog"
	"neonet.dev/neonet/internal/testenv"
)

// authority is a certificate authority the test makes.
type authority struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string // the certificate's PEM file
}

func newAuthority(t *testing.T, dir, name string) *authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	a := &authority{cert: cert, key: key, pem: filepath.Join(dir, name+".pem")}
	writePEM(t, a.pem, "CERTIFICATE", der)
	return a
}

// server signs a certificate for 127.0.0.1 and writes it and its key
// into dir.
func (a *authority) server(t *testing.T, dir string) *serverTLS {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	s := &serverTLS{ca: a.pem, cert: filepath.Join(dir, "server.pem"), key: filepath.Join(dir, "server.key")}
	writePEM(t, s.cert, "CERTIFICATE", der)
	writePEM(t, s.key, "EC PRIVATE KEY", keyDER)
	return s
}

func writePEM(t *testing.T, name, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSBroker: with an ssl:// broker and ca_file naming the authority
// that signed the broker's certificate, the client connects over TLS,
// logs in and publishes; trusting another authority instead, it reports
// a fault that names the certificate and does not connect.
func TestTLSBroker(t *testing.T) {
	dir := t.TempDir()
	ca := newAuthority(t, dir, "neonet-test-ca")
	b := newBroker(t, ca.server(t, dir))
	s := subscribe(t, b, "neonet/tls/#", "neonet/untrusted/#")

	var records testenv.Buffer
	report := func(r *serlog.Record) { records.Write([]byte(r.String() + "\n")) }
	c, err := New(firmware.MQTTConfig{Broker: b.tlsURL(), ClientID: "neonet-tls", Topic: "neonet/tls", Username: testUser,
		PasswordFile: testenv.TempFile(t, "pw", testPassword), CAFile: ca.pem}, report)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s.wait(t, "neonet/tls/availability", is("online"))
	if r := records.String(); strings.Contains(r, "event=fault") {
		t.Errorf("fault records over TLS:\n%s", r)
	}

	other := newAuthority(t, dir, "someone-else")
	var refused testenv.Buffer
	report = func(r *serlog.Record) { refused.Write([]byte(r.String() + "\n")) }
	u, err := New(firmware.MQTTConfig{Broker: b.tlsURL(), ClientID: "neonet-untrusted", Topic: "neonet/untrusted",
		Username: testUser, PasswordFile: testenv.TempFile(t, "pw2", testPassword), CAFile: other.pem}, report)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(refused.String(), "event=fault source=mqtt"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no fault record for a broker certificate signed by an authority not in ca_file")
		}
	}
	t.Log(refused.String())
	if !strings.Contains(refused.String(), "certificate") {
		t.Errorf("the fault does not say it is the certificate: %s", refused.String())
	}
	start := time.Now()
	u.Close()
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Close took %v", el)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.got {
		if strings.HasPrefix(m.topic, "neonet/untrusted/") {
			t.Errorf("the untrusting client published %s %q", m.topic, m.payload)
		}
	}
}
