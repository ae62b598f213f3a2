// Package web is the daemon's web page and HTTP API ([http] in the
// configuration), a firmware.Output:
//
//   - / is one page, with no external assets, usable on a phone: the
//     live camera, the top-5 classes with their scores, every rule with
//     its state and pin, the frame rate and inference time, the faults
//     and the last records. It updates itself from a Server-Sent Events
//     stream.
//   - /stream.mjpg is the live camera as MJPEG: the frames the model saw,
//     at most stream_fps a second; /snapshot.jpg is one of them.
//   - /api/status is the state as JSON (model, labels, fps, infer_ms,
//     top-5, rules with state and pin, pins, faults, records); asked for
//     as text/event-stream it sends a new one whenever the state changes,
//     at most four a second. /api/events streams the records (detect,
//     release, fault, recovered, reload) as they happen.
//   - /metrics is the Prometheus exposition of package metrics.
//   - With teach_dir (on by default), the page's teach panel and
//     /api/teach: the class folders of package teach, saving the next
//     frame the model sees into one (/api/teach/photo), removing one, and
//     trainings on the running model (/api/teach/train, /api/teach/stop)
//     that end in firmware.OutputEnv.Install, a reload with the new model.
//
// Nothing on the server changes pins or configuration; the teach panel,
// which changes the model, needs a token_file and is read-only without
// one. With a token_file every request needs "Authorization: Bearer
// TOKEN" or ?token=TOKEN (the page passes its own on); without one, a
// server reachable from the network is announced with a warning at
// startup.
//
// On the loop's side the server only updates a live.State and, while
// someone watches the camera, copies a frame's pixels at most stream_fps
// times a second into one of two buffers; a goroutine of its own encodes
// the JPEG. With nobody watching, a frame costs no allocation. Open is the
// firmware.OutputOpener for [http].
package web
