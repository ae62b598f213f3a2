package firmware

import (
	"strings"
	"testing"
)

func TestNetworkConfig(t *testing.T) {
	cfg, err := ParseConfig("c.toml", []byte("model = \"m\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTP != nil || cfg.MQTT != nil {
		t.Errorf("without the sections: http %+v, mqtt %+v", cfg.HTTP, cfg.MQTT)
	}
	cfg, err = ParseConfig("c.toml", []byte("[http]\n[mqtt]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.HTTP != (HTTPConfig{Listen: "127.0.0.1:8080", StreamFPS: 5, TeachDir: "/var/lib/neonet/classes"}) {
		t.Errorf("[http] defaults %+v", *cfg.HTTP)
	}
	if *cfg.MQTT != (MQTTConfig{Broker: "tcp://127.0.0.1:1883", Discovery: "homeassistant"}) {
		t.Errorf("[mqtt] defaults %+v", *cfg.MQTT)
	}
	cfg, err = ParseConfig("c.toml", []byte(`[http]
listen = "0.0.0.0:80"
token_file = "/etc/neonet/token"
stream_fps = 2.5
teach_dir = ""
[mqtt]
broker = "ssl://broker.lan:8883"
client_id = "shelf"
topic = "home/shelf"
username = "neonet"
password_file = "/etc/neonet/mqtt-password"
ca_file = "/etc/neonet/ca.pem"
discovery = ""
`))
	if err != nil {
		t.Fatal(err)
	}
	if *cfg.HTTP != (HTTPConfig{Listen: "0.0.0.0:80", TokenFile: "/etc/neonet/token", StreamFPS: 2.5}) {
		t.Errorf("[http] %+v", *cfg.HTTP)
	}
	want := MQTTConfig{Broker: "ssl://broker.lan:8883", ClientID: "shelf", Topic: "home/shelf", Username: "neonet",
		PasswordFile: "/etc/neonet/mqtt-password", CAFile: "/etc/neonet/ca.pem"}
	if *cfg.MQTT != want {
		t.Errorf("[mqtt] %+v", *cfg.MQTT)
	}
}

func TestNetworkConfigErrors(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"[http]\nlisten = \"8080\"\n", `c.toml:2: http.listen: got "8080": want host:port`},
		{"[http]\nlisten = \"127.0.0.1:99999\"\n", "c.toml:2: http.listen: got \"127.0.0.1:99999\": want a port number"},
		{"[http]\nlisten = \"my-board:8080\"\n", "http.listen: got \"my-board:8080\": want an IP address or localhost"},
		{"[http]\nstream_fps = 60.0\n", "c.toml:2: http.stream_fps: got 60, want 0.1 to 30"},
		{"[http]\nport = 80\n", "c.toml:2: http.port: unknown key"},
		{"[mqtt]\nbroker = \"192.168.1.2\"\n", `c.toml:2: mqtt.broker: got "192.168.1.2", want scheme://host:port`},
		{"[mqtt]\nbroker = \"http://b:1883\"\n", "mqtt.broker: got \"http://b:1883\""},
		{"[mqtt]\nbroker = \"tcp://b\"\n", "mqtt.broker: got \"tcp://b\""},
		{"[mqtt]\ntopic = \"neonet/#\"\n", `c.toml:2: mqtt.topic: got "neonet/#"`},
		{"[mqtt]\ntopic = \"neonet//x\"\n", `mqtt.topic: got "neonet//x"`},
		{"[mqtt]\ndiscovery = \"/ha\"\n", `mqtt.discovery: got "/ha"`},
		{"[mqtt]\npassword_file = \"p\"\n", "c.toml:2: mqtt.password_file: a password needs a username"},
		{"[mqtt]\nca_file = \"ca.pem\"\n", "c.toml:2: mqtt.ca_file: certificates are for TLS"},
		{"[mqtt]\nclient_id = \"a\\tb\"\n", "mqtt.client_id: got"},
		{"[mqtt]\nqos = 2\n", "c.toml:2: mqtt.qos: unknown key"},
	} {
		_, err := ParseConfig("c.toml", []byte(tt.file))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v\nwant it to contain %q", tt.file, err, tt.want)
		}
	}
}
