package firmware

import (
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// This file is the configuration of the network outputs: [http] (the web
// page, its API and the Prometheus metrics) and [mqtt]. Each is off unless
// its section is in the file.

// HTTPConfig is the [http] section: the web page, its API and /metrics.
type HTTPConfig struct {
	Listen    string  // host:port; the default is loopback only
	TokenFile string  // a file holding the access token; "" for none
	StreamFPS float64 // the live picture's highest frame rate
	// TeachDir is the folder of class folders the teach panel saves
	// frames into and trains on; "" turns the panel off.
	TeachDir string
}

// MQTTConfig is the [mqtt] section: availability, state, rules and
// decision records published to a broker, with Home Assistant discovery.
type MQTTConfig struct {
	Broker       string // tcp://host:port, ssl://host:port (also mqtt, mqtts, tls, ws, wss)
	ClientID     string // "" is neonet-<hostname>
	Topic        string // base topic; "" is neonet/<hostname>
	Username     string
	PasswordFile string // a file holding the password; "" for none
	CAFile       string // PEM certificates to trust for TLS; "" is the system's
	Discovery    string // Home Assistant discovery prefix; "" disables discovery
}

const (
	defaultListen    = "127.0.0.1:8080"
	defaultStreamFPS = 5
	defaultTeachDir  = "/var/lib/neonet/classes" // in the unit's StateDirectory
	defaultBroker    = "tcp://127.0.0.1:1883"
	defaultDiscovery = "homeassistant"
)

// fileHTTP mirrors [http].
type fileHTTP struct {
	Listen    *value[string]  `toml:"listen"`
	TokenFile *value[string]  `toml:"token_file"`
	StreamFPS *value[float64] `toml:"stream_fps"`
	TeachDir  *value[string]  `toml:"teach_dir"`
}

// fileMQTT mirrors [mqtt].
type fileMQTT struct {
	Broker       *value[string] `toml:"broker"`
	ClientID     *value[string] `toml:"client_id"`
	Topic        *value[string] `toml:"topic"`
	Username     *value[string] `toml:"username"`
	PasswordFile *value[string] `toml:"password_file"`
	CAFile       *value[string] `toml:"ca_file"`
	Discovery    *value[string] `toml:"discovery"`
}

// setNetwork fills in and checks [http] and [mqtt], when present.
func (c *Config) setNetwork(f *fileConfig) error {
	if f.HTTP != nil {
		h := &HTTPConfig{
			Listen:    orDefault(f.HTTP.Listen, defaultListen),
			TokenFile: orDefault(f.HTTP.TokenFile, ""),
			StreamFPS: orDefault(f.HTTP.StreamFPS, defaultStreamFPS),
			TeachDir:  orDefault(f.HTTP.TeachDir, defaultTeachDir),
		}
		if err := checkListen(h.Listen); err != "" {
			return c.errorf("http.listen", "got %q: %s", h.Listen, err)
		}
		if math.IsNaN(h.StreamFPS) || h.StreamFPS < 0.1 || h.StreamFPS > 30 {
			return c.errorf("http.stream_fps", "got %v, want 0.1 to 30 frames a second", h.StreamFPS)
		}
		c.HTTP = h
	}
	if f.MQTT != nil {
		m := &MQTTConfig{
			Broker:       orDefault(f.MQTT.Broker, defaultBroker),
			ClientID:     orDefault(f.MQTT.ClientID, ""),
			Topic:        orDefault(f.MQTT.Topic, ""),
			Username:     orDefault(f.MQTT.Username, ""),
			PasswordFile: orDefault(f.MQTT.PasswordFile, ""),
			CAFile:       orDefault(f.MQTT.CAFile, ""),
			Discovery:    orDefault(f.MQTT.Discovery, defaultDiscovery),
		}
		if err := c.checkMQTT(m); err != nil {
			return err
		}
		c.MQTT = m
	}
	return nil
}

// checkListen says what is wrong with a listen address, or "".
func checkListen(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return `want host:port, e.g. "127.0.0.1:8080" (loopback only) or "0.0.0.0:8080" (every network)`
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "want a port number from 0 to 65535"
	}
	if host != "" && host != "localhost" && net.ParseIP(host) == nil {
		return "want an IP address or localhost as host"
	}
	return ""
}

// brokerSchemes are the URL schemes of the MQTT client; tlsSchemes are
// those that use TLS.
var (
	brokerSchemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss"}
	tlsSchemes    = []string{"ssl", "tls", "mqtts", "wss"}
)

// IsTLSBroker reports whether a broker URL's scheme uses TLS.
func IsTLSBroker(broker string) bool {
	u, err := url.Parse(broker)
	return err == nil && slices.Contains(tlsSchemes, u.Scheme)
}

func (c *Config) checkMQTT(m *MQTTConfig) error {
	u, err := url.Parse(m.Broker)
	switch {
	case err != nil || !slices.Contains(brokerSchemes, u.Scheme) || u.Hostname() == "" || u.Port() == "":
		return c.errorf("mqtt.broker", `got %q, want scheme://host:port with scheme %s, e.g. "tcp://192.168.1.2:1883" or "ssl://broker:8883"`,
			m.Broker, strings.Join(brokerSchemes, ", "))
	case m.ClientID != "" && (len(m.ClientID) > 64 || !isPrintableASCII(m.ClientID)):
		return c.errorf("mqtt.client_id", "got %q, want at most 64 printable ASCII characters", m.ClientID)
	case m.Topic != "" && !isTopic(m.Topic):
		return c.errorf("mqtt.topic", `got %q, want levels separated by "/", without "+", "#", spaces or empty levels, e.g. "neonet/shelf"`, m.Topic)
	case m.Discovery != "" && !isTopic(m.Discovery):
		return c.errorf("mqtt.discovery", `got %q, want a topic prefix such as "homeassistant", or "" to disable discovery`, m.Discovery)
	case m.PasswordFile != "" && m.Username == "":
		return c.errorf("mqtt.password_file", "a password needs a username: set mqtt.username")
	case m.CAFile != "" && !IsTLSBroker(m.Broker):
		return c.errorf("mqtt.ca_file", "certificates are for TLS: want a broker URL starting with ssl://, tls://, mqtts:// or wss://")
	}
	return nil
}

// isTopic accepts an MQTT topic name fit to publish under: non-empty
// levels of printable characters without wildcards.
func isTopic(s string) bool {
	if len(s) > 200 || !isPrintableASCII(s) || strings.ContainsAny(s, "+# ") {
		return false
	}
	return !slices.Contains(strings.Split(s, "/"), "")
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
