package mqtt

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/live"
)

// topics are the names the client publishes under.
type topics struct {
	clientID     string
	base         string // <topic>
	availability string // <topic>/availability: online, offline (the last will)
	state        string // <topic>/state: stateMessage, retained
	event        string // <topic>/event: one live.Event per decision
	discovery    string // the Home Assistant prefix; "" for none
	node         string // Home Assistant node id: the client id in [A-Za-z0-9_-]
	host         string
}

func newTopics(cfg firmware.MQTTConfig, host string) topics {
	t := topics{clientID: cfg.ClientID, base: cfg.Topic, discovery: cfg.Discovery, host: host}
	if t.clientID == "" {
		t.clientID = "neonet-" + host
	}
	if t.base == "" {
		t.base = "neonet/" + strings.Map(func(r rune) rune {
			if r == '+' || r == '#' || r == '/' || r <= ' ' {
				return '_'
			}
			return r
		}, host)
	}
	t.availability, t.state, t.event = t.base+"/availability", t.base+"/state", t.base+"/event"
	t.node = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			return r
		}
		return '_'
	}, t.clientID)
	return t
}

// rule is <topic>/rule/<n>: ON or OFF, retained.
func (t *topics) rule(n int) string { return t.base + "/rule/" + strconv.Itoa(n) }

// stateMessage is the retained <topic>/state.
type stateMessage struct {
	Label string    `json:"label"` // the top class
	Score float64   `json:"score"`
	FPS   float64   `json:"fps"`
	Frame uint64    `json:"frame"`
	Time  time.Time `json:"time"`
}

func (c *Client) stateMessage(now time.Time) stateMessage {
	s := c.Snapshot(now, false)
	m := stateMessage{FPS: round(s.FPS, 1), Frame: s.Frame, Time: s.Time}
	if len(s.Top) > 0 {
		m.Label, m.Score = s.Top[0].Label, round(float64(s.Top[0].Score), 3)
	}
	return m
}

func round(v float64, digits int) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', digits, 64), 64)
	return f
}

// publishJSON publishes v as JSON.
func (c *Client) publishJSON(topic string, v any, retained bool) bool {
	data, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return c.publish(topic, data, retained)
}

// device is Home Assistant's device block: every entity of the board
// belongs to one device.
type device struct {
	Identifiers  []string `json:"identifiers"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Model        string   `json:"model,omitempty"`
}

// entity is a Home Assistant MQTT discovery message (the keys of
// binary_sensor and sensor that neonet uses).
type entity struct {
	Name              string `json:"name"`
	UniqueID          string `json:"unique_id"`
	StateTopic        string `json:"state_topic"`
	AvailabilityTopic string `json:"availability_topic"`
	PayloadOn         string `json:"payload_on,omitempty"`
	PayloadOff        string `json:"payload_off,omitempty"`
	ValueTemplate     string `json:"value_template,omitempty"`
	AttributesTopic   string `json:"json_attributes_topic,omitempty"`
	Icon              string `json:"icon,omitempty"`
	Device            device `json:"device"`
}

// publishDiscovery announces a binary_sensor per rule and a sensor for
// the top label, retained, so that Home Assistant shows the board with no
// YAML.
func (c *Client) publishDiscovery(snap live.Status) {
	t := &c.topics
	if t.discovery == "" {
		return
	}
	dev := device{Identifiers: []string{t.node}, Name: "neonet " + t.host, Manufacturer: "neonet"}
	if snap.Model != "" {
		dev.Model = strings.TrimSuffix(filepath.Base(snap.Model), ".neonet")
	}
	for _, r := range snap.Rules {
		id := t.node + "_rule" + strconv.Itoa(r.N)
		c.publishJSON(t.discovery+"/binary_sensor/"+t.node+"/rule"+strconv.Itoa(r.N)+"/config", entity{
			Name: "Rule " + strconv.Itoa(r.N) + " (" + strings.Join(r.Labels, ", ") + ")", UniqueID: id,
			StateTopic: t.rule(r.N), AvailabilityTopic: t.availability, PayloadOn: "ON", PayloadOff: "OFF",
			Icon: "mdi:eye", Device: dev,
		}, true)
	}
	c.publishJSON(t.discovery+"/sensor/"+t.node+"/label/config", entity{
		Name: "Top label", UniqueID: t.node + "_label", StateTopic: t.state, AvailabilityTopic: t.availability,
		ValueTemplate: "{{ value_json.label }}", AttributesTopic: t.state, Icon: "mdi:image-search", Device: dev,
	}, true)
}
