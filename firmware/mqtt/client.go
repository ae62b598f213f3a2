package mqtt

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/live"
	"neonet.dev/neonet/firmware/serlog"
)

const (
	queueSize    = 256              // records waiting for the publisher, and events for a connection
	minBackoff   = time.Second      // first wait after a failed connection
	maxBackoff   = 30 * time.Second // longest wait between connection attempts
	connectWait  = 10 * time.Second // one connection attempt
	publishWait  = 5 * time.Second  // one message's acknowledgement
	stateEvery   = time.Second      // how often the state is looked at
	stateRefresh = time.Minute      // an unchanged state is published again after this
	closeWait    = 2 * time.Second  // Close's wait for "offline" to go out
	keepAlive    = 30 * time.Second
	qos          = 1 // at least once: the broker acknowledges every message
)

// Client is a firmware.Output (through its live.State) that publishes
// the daemon's state to an MQTT broker from a goroutine of its own.
type Client struct {
	*live.State
	topics   topics
	client   paho.Client
	report   func(*serlog.Record)
	sub      *live.Subscription
	dropped  atomic.Uint64 // events lost while the broker was away
	up       atomic.Bool
	lost     chan error
	reconf   chan struct{}
	done     chan struct{}
	finished chan struct{}
	once     sync.Once
	broker   string
}

// Open is the firmware.OutputOpener of [mqtt]. It does not wait for the
// broker: the client connects, and reconnects, on its own goroutine.
// Without [mqtt] it opens nothing.
func Open(env firmware.OutputEnv) ([]firmware.Output, error) {
	if env.Config.MQTT == nil {
		return nil, nil
	}
	c, err := New(*env.Config.MQTT, env.Report)
	if err != nil {
		return nil, err
	}
	return []firmware.Output{c}, nil
}

// New starts a client for cfg; report, when not nil, gets its fault and
// recovered records.
func New(cfg firmware.MQTTConfig, report func(*serlog.Record)) (*Client, error) {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "neonet"
	}
	t := newTopics(cfg, host)
	opts := paho.NewClientOptions().AddBroker(cfg.Broker).SetClientID(t.clientID).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(connectWait).SetWriteTimeout(publishWait).SetKeepAlive(keepAlive).
		SetWill(t.availability, "offline", qos, true)
	if cfg.Username != "" {
		opts.SetUsername(cfg.Username)
	}
	if cfg.PasswordFile != "" {
		data, err := os.ReadFile(cfg.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("mqtt.password_file: %w", err)
		}
		opts.SetPassword(strings.TrimRight(string(data), "\r\n"))
	}
	if firmware.IsTLSBroker(cfg.Broker) {
		tc, err := tlsConfig(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		opts.SetTLSConfig(tc)
	}
	c := &Client{
		State: live.New(), topics: t, report: report, broker: cfg.Broker,
		lost: make(chan error, 1), reconf: make(chan struct{}, 1),
		done: make(chan struct{}), finished: make(chan struct{}),
	}
	if c.report == nil {
		c.report = func(*serlog.Record) {}
	}
	opts.SetConnectionLostHandler(func(_ paho.Client, err error) {
		select {
		case c.lost <- err:
		default:
		}
	})
	c.client = paho.NewClient(opts)
	c.sub = c.Subscribe(queueSize)
	go c.run()
	return c, nil
}

// tlsConfig trusts the certificates of caFile, or the system's.
func tlsConfig(caFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("mqtt.ca_file: %w", err)
	}
	tc.RootCAs = x509.NewCertPool()
	if !tc.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("mqtt.ca_file: %s: want PEM certificates (-----BEGIN CERTIFICATE-----), found none", caFile)
	}
	return tc, nil
}

// Configure implements firmware.Configurable: the rules, and the
// discovery messages that name them, are published again.
func (c *Client) Configure(cfg *firmware.Config, labels []string) {
	c.State.Configure(cfg, labels)
	select {
	case c.reconf <- struct{}{}:
	default:
	}
}

// Status implements firmware.StatusReporter: whether the broker is
// connected, and the events dropped since the last status.
func (c *Client) Status(r *serlog.Record) {
	state := "down"
	if c.up.Load() {
		state = "up"
	}
	r.Word("mqtt", state).Int("mqtt_dropped", int64(c.sub.TakeDropped()+c.dropped.Swap(0)))
}

// String describes the client for the daemon's startup line.
func (c *Client) String() string {
	return fmt.Sprintf("mqtt %s as %s, topic %s", c.broker, c.topics.clientID, c.topics.base)
}

// Close publishes "offline", disconnects and stops the goroutine.
func (c *Client) Close() error {
	c.once.Do(func() {
		close(c.done)
		select {
		case <-c.finished:
		case <-time.After(closeWait + time.Second):
		}
		c.sub.Close()
	})
	return nil
}

// run connects with backoff and publishes until Close.
func (c *Client) run() {
	defer close(c.finished)
	var (
		pending   []live.Event // decisions waiting for a connection
		retry     <-chan time.Time
		backoff   = minBackoff
		failures  int // consecutive failed attempts, the loss included
		published stateMessage
		when      time.Time
	)
	tick := time.NewTicker(stateEvery)
	defer tick.Stop()
	for {
		if !c.up.Load() && retry == nil {
			if err := c.connect(); err != nil {
				failures++
				c.fault(err, failures)
				retry = time.After(backoff)
				backoff = min(2*backoff, maxBackoff)
			} else {
				if failures > 0 {
					c.report(serlog.New(time.Now(), "recovered").Word("source", "mqtt").Int("attempts", int64(failures)))
				}
				failures, backoff = 0, minBackoff
				c.up.Store(true)
				published = c.publishAll()
				when = time.Now()
				for _, ev := range pending {
					c.publishEvent(ev)
				}
				pending = pending[:0]
			}
		}
		select {
		case <-c.done:
			c.shutdown()
			return
		case <-retry:
			retry = nil
		case err := <-c.lost:
			c.up.Store(false)
			failures++
			c.fault(err, failures)
		case ev := <-c.sub.C:
			switch {
			case !ev.Decision():
			case c.up.Load():
				c.publishEvent(ev)
			case len(pending) == queueSize:
				copy(pending, pending[1:])
				pending[len(pending)-1] = ev
				c.dropped.Add(1)
			default:
				pending = append(pending, ev)
			}
		case <-tick.C:
			if !c.up.Load() {
				break
			}
			now := time.Now()
			s := c.stateMessage(now)
			if s.Label != "" && (s.Label != published.Label || now.Sub(when) >= stateRefresh) {
				c.publishJSON(c.topics.state, s, true)
				published, when = s, now
			}
		case <-c.reconf:
			if c.up.Load() {
				c.publishDiscovery(c.Snapshot(time.Now(), false))
			}
		}
	}
}

// connect makes one connection attempt.
func (c *Client) connect() error {
	tok := c.client.Connect()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-time.After(connectWait + time.Second):
		return fmt.Errorf("%s: no answer in %v", c.broker, connectWait)
	case <-c.done:
		return errors.New("closing")
	}
}

// fault reports a failed or lost connection.
func (c *Client) fault(err error, attempt int) {
	c.report(serlog.New(time.Now(), "fault").Word("source", "mqtt").Str("error", fmt.Sprintf("%s: %v", c.broker, err)).
		Int("attempt", int64(attempt)))
}

// publishAll publishes everything retained: availability, discovery,
// state and rules, as after every (re)connection; it returns the state it
// published.
func (c *Client) publishAll() stateMessage {
	c.publish(c.topics.availability, []byte("online"), true)
	snap := c.Snapshot(time.Now(), false)
	c.publishDiscovery(snap)
	s := c.stateMessage(time.Now())
	if s.Label != "" {
		c.publishJSON(c.topics.state, s, true)
	}
	for _, r := range snap.Rules {
		c.publish(c.topics.rule(r.N), onOff(r.Active), true)
	}
	return s
}

// publishEvent publishes a decision: the rule's retained state and the
// event.
func (c *Client) publishEvent(ev live.Event) {
	c.publish(c.topics.rule(ev.Rule), onOff(ev.Event == "detect"), true)
	if !c.publishJSON(c.topics.event, ev, false) {
		c.dropped.Add(1)
	}
}

// publish sends one message and waits for the broker's acknowledgement;
// a message that fails is lost (retained ones go out again at the next
// connection).
func (c *Client) publish(topic string, payload []byte, retained bool) bool {
	tok := c.client.Publish(topic, qos, retained, payload)
	select {
	case <-tok.Done():
		return tok.Error() == nil
	case <-time.After(publishWait):
		return false
	}
}

// shutdown says "offline" and disconnects.
func (c *Client) shutdown() {
	if !c.up.Load() {
		return
	}
	tok := c.client.Publish(c.topics.availability, qos, true, []byte("offline"))
	tok.WaitTimeout(closeWait)
	c.client.Disconnect(250)
	c.up.Store(false)
}

func onOff(active bool) []byte {
	if active {
		return []byte("ON")
	}
	return []byte("OFF")
}
