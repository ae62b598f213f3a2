package mqtt

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"neonet.dev/neonet/internal/testenv"
)

// The tests run Debian's mosquitto (make deps installs it) on a free
// loopback port, with a password file.

const (
	testUser     = "neonet"
	testPassword = "pa55 word"
)

// broker is a mosquitto process the test started.
type broker struct {
	t       *testing.T
	dir     string
	port    int
	tlsPort int // 0 without a TLS listener
	cmd     *exec.Cmd
	log     bytes.Buffer
}

// startBroker starts mosquitto on a free port with username/password
// authentication; the test stops it at its end.
func startBroker(t *testing.T) *broker {
	t.Helper()
	return newBroker(t, nil)
}

// serverTLS are the files of a TLS listener.
type serverTLS struct{ ca, cert, key string }

// newBroker starts mosquitto; with tls, a second listener on b.tlsPort
// speaks TLS with those files, with the same password file.
func newBroker(t *testing.T, tls *serverTLS) *broker {
	t.Helper()
	exe := testenv.Program(t, "mosquitto", "/usr/sbin/mosquitto")
	b := &broker{t: t, dir: t.TempDir(), port: freePort(t)}
	passwd := filepath.Join(b.dir, "passwd")
	if out, err := exec.Command("mosquitto_passwd", "-b", "-c", passwd, testUser, testPassword).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("allow_anonymous false\npassword_file %s\npersistence false\nuser %s\nlog_dest stderr\nlistener %d 127.0.0.1\n",
		passwd, currentUser(), b.port)
	if tls != nil {
		b.tlsPort = freePort(t)
		conf += fmt.Sprintf("listener %d 127.0.0.1\ncafile %s\ncertfile %s\nkeyfile %s\n", b.tlsPort, tls.ca, tls.cert, tls.key)
	}
	if err := os.WriteFile(filepath.Join(b.dir, "mosquitto.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	b.start(exe)
	t.Cleanup(b.stop)
	return b
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// start runs the broker and waits until it accepts connections.
func (b *broker) start(exe string) {
	b.t.Helper()
	b.cmd = exec.Command(exe, "-c", filepath.Join(b.dir, "mosquitto.conf"))
	b.cmd.Stdout, b.cmd.Stderr = &b.log, &b.log
	if err := b.cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", b.addr()); err == nil {
			c.Close()
			return
		}
	}
	b.t.Fatalf("mosquitto did not start on %s:\n%s", b.addr(), b.log.String())
}

// restart stops the broker and starts it again on the same port, with
// nothing retained (no persistence).
func (b *broker) restart(down time.Duration) {
	b.t.Helper()
	exe := b.cmd.Path
	b.stop()
	time.Sleep(down)
	b.start(exe)
}

func (b *broker) stop() {
	if b.cmd == nil || b.cmd.Process == nil || b.cmd.ProcessState != nil {
		return
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	b.cmd.Wait()
}

func (b *broker) addr() string   { return fmt.Sprintf("127.0.0.1:%d", b.port) }
func (b *broker) url() string    { return "tcp://" + b.addr() }
func (b *broker) tlsURL() string { return fmt.Sprintf("ssl://127.0.0.1:%d", b.tlsPort) }

// message is one message a subscriber got.
type message struct {
	topic    string
	payload  string
	retained bool
}

// subscriber is a test client subscribed to some topics.
type subscriber struct {
	client paho.Client
	mu     sync.Mutex
	got    []message
}

// subscribe connects a client with the test's credentials and subscribes
// to filters; it is closed at the test's end.
func subscribe(t *testing.T, b *broker, filters ...string) *subscriber {
	t.Helper()
	s := &subscriber{}
	opts := paho.NewClientOptions().AddBroker(b.url()).SetClientID(fmt.Sprintf("sub-%d", time.Now().UnixNano())).
		SetUsername(testUser).SetPassword(testPassword).SetAutoReconnect(false)
	s.client = paho.NewClient(opts)
	if tok := s.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber: connect: %v", tok.Error())
	}
	t.Cleanup(func() { s.client.Disconnect(0) })
	topics := map[string]byte{}
	for _, f := range filters {
		topics[f] = 1
	}
	tok := s.client.SubscribeMultiple(topics, func(_ paho.Client, m paho.Message) {
		s.mu.Lock()
		s.got = append(s.got, message{m.Topic(), string(m.Payload()), m.Retained()})
		s.mu.Unlock()
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return s
}

// wait waits up to 20 s for a message on topic whose payload passes ok,
// and returns it.
func (s *subscriber) wait(t *testing.T, topic string, ok func(payload string) bool) message {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s.mu.Lock()
		for _, m := range s.got {
			if m.topic == topic && ok(m.payload) {
				s.mu.Unlock()
				return m
			}
		}
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var seen []string
	for _, m := range s.got {
		seen = append(seen, m.topic+" "+m.payload)
	}
	t.Fatalf("no message on %s in 20 s; got:\n%s", topic, strings.Join(seen, "\n"))
	return message{}
}

func is(want string) func(string) bool { return func(p string) bool { return p == want } }
func anything(string) bool             { return true }
