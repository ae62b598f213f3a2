package web

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed page.html
var pageHTML []byte

// statusPeriod is the shortest time between two states on a status
// stream.
const statusPeriod = 250 * time.Millisecond

// keepAlive is how often an idle stream sends a comment, so that proxies
// and browsers keep it open.
const keepAlive = 15 * time.Second

// snapshotWait bounds how long /snapshot.jpg waits for a frame.
const snapshotWait = 3 * time.Second

// writeWait bounds one write to a streaming client.
const writeWait = 10 * time.Second

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy",
		"default-src 'none'; img-src 'self'; connect-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Write(pageHTML)
}

// mjpeg streams the live picture as multipart/x-mixed-replace JPEGs,
// which browsers show in an <img>.
func (s *Server) mjpeg(w http.ResponseWriter, r *http.Request) {
	defer s.stream.watch()()
	const boundary = "neonetframe"
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+boundary)
	rc := http.NewResponseController(w)
	_, fresh := s.stream.current()
	for {
		select {
		case <-fresh:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		var j []byte
		j, fresh = s.stream.current()
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		if _, err := fmt.Fprintf(w, "--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", boundary, len(j)); err != nil {
			return
		}
		if _, err := w.Write(j); err != nil {
			return
		}
		if _, err := io.WriteString(w, "\r\n"); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// snapshot serves the next frame the model sees as a JPEG.
func (s *Server) snapshot(w http.ResponseWriter, r *http.Request) {
	defer s.stream.watch()()
	_, fresh := s.stream.current()
	t := time.NewTimer(snapshotWait)
	defer t.Stop()
	select {
	case <-fresh:
	case <-t.C:
		http.Error(w, fmt.Sprintf("no frame from the camera in %v", snapshotWait), http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	case <-s.done:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	j, _ := s.stream.current()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Content-Length", strconv.Itoa(len(j)))
	w.Write(j)
}

// status serves the state as JSON, or, to a client that accepts
// text/event-stream (an EventSource), a "status" event each time it
// changes.
func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s.pageStatus(time.Now(), true))
		return
	}
	sse := startSSE(w)
	tick := time.NewTicker(statusPeriod)
	defer tick.Stop()
	var seen uint64
	idle := time.Now()
	for {
		if v := s.stateVersion(); v != seen {
			seen = v
			if sse.send("status", s.pageStatus(time.Now(), false)) != nil {
				return
			}
			idle = time.Now()
		} else if time.Since(idle) >= keepAlive {
			if sse.comment() != nil {
				return
			}
			idle = time.Now()
		}
		select {
		case <-tick.C:
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
	}
}

// events streams the records as "record" events as they happen.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	sub := s.Subscribe(64)
	defer sub.Close()
	sse := startSSE(w)
	idle := time.NewTicker(keepAlive)
	defer idle.Stop()
	for {
		var err error
		select {
		case ev := <-sub.C:
			err = sse.send("record", ev)
		case <-idle.C:
			err = sse.comment()
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// sseWriter writes Server-Sent Events.
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startSSE(w http.ResponseWriter) *sseWriter {
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	sse := &sseWriter{w: w, rc: http.NewResponseController(w)}
	sse.rc.Flush()
	return sse
}

func (e *sseWriter) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	e.rc.SetWriteDeadline(time.Now().Add(writeWait))
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return err
	}
	return e.rc.Flush()
}

func (e *sseWriter) comment() error {
	e.rc.SetWriteDeadline(time.Now().Add(writeWait))
	if _, err := fmt.Fprint(e.w, ": keep-alive\n\n"); err != nil {
		return err
	}
	return e.rc.Flush()
}
