// Package metrics exports what the daemon does to Prometheus, through
// prometheus/client_golang: Metrics is a firmware.Output whose Handler
// serves the exposition (the web server mounts it at /metrics with
// [http]). Every name starts with neonet_ and follows Prometheus's naming
// conventions (base units, _total for counters):
//
//	neonet_frames_total                      frames classified
//	neonet_camera_dropped_frames_total       frames the camera delivered that were not classified
//	neonet_inference_duration_seconds        histogram of the model's time per frame
//	neonet_rule_active{rule,pin}             1 while a rule is active
//	neonet_rule_transitions_total{rule,pin,to}  activations (to="active") and releases (to="inactive")
//	neonet_pin_active{pin}                   an output pin's logical level
//	neonet_faults_total{source}              fault records by source (camera, model, gpio, systemd, mqtt)
//	neonet_reloads_total{result}             reloads, ok or failed
//	neonet_log_dropped_records_total         records the serial log could not queue
//	neonet_soc_temperature_celsius           the SoC temperature at the last status record
//
// and the Go runtime's and the process's metrics, prefixed neonet_ too
// (neonet_go_goroutines, neonet_process_resident_memory_bytes, ...).
// Frames cost two atomic updates and no allocation; everything else comes
// from the records, which are rare.
package metrics
