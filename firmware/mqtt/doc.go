// Package mqtt publishes the daemon's state to an MQTT broker ([mqtt] in
// the configuration) with eclipse/paho.mqtt.golang, and announces the
// board to Home Assistant through MQTT discovery:
//
//	<topic>/availability   online, and offline as the last will (retained)
//	<topic>/state          {"label", "score", "fps", "frame", "time"} of the top class (retained),
//	                       when the label changes (looked at once a second) and every minute
//	<topic>/rule/<n>       ON or OFF, rule n's state (retained)
//	<topic>/event          one JSON object per decision record (detect, release)
//	<discovery>/binary_sensor/<node>/rule<n>/config   a binary sensor per rule (retained)
//	<discovery>/sensor/<node>/label/config            a sensor of the top label (retained)
//
// with <topic> neonet/<hostname> and <node> neonet-<hostname> by default.
//
// Client is a firmware.Output through a live.State, so the loop only
// copies a few numbers; one goroutine of its own connects, publishes (QoS
// 1, waiting for each acknowledgement) and reconnects with backoff (1 s
// doubling to 30 s). A broker that is down or goes away never blocks the
// loop: decisions wait in a bounded queue while it is away, the oldest
// dropped and counted (mqtt_dropped in the status record) when it is full;
// a lost or failed connection is a fault record (source=mqtt), the
// connection that follows a recovered record; and every retained message
// is published again on each connection, so a broker that restarted
// without persistence has them back. Open is the firmware.OutputOpener for
// [mqtt].
package mqtt
