package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/live"
	"neonet.dev/neonet/firmware/metrics"
	"neonet.dev/neonet/firmware/teach"
)

// Server is the web page and its API, a firmware.Output (through its
// live.State) that serves on its own goroutines.
type Server struct {
	*live.State
	stream   *stream
	token    string                 // "" without a token file
	teacher  *teach.Teacher         // nil when the teach panel is off
	model    atomic.Pointer[string] // the running model's file, from Configure
	ln       net.Listener
	srv      *http.Server
	done     chan struct{} // closed by Close: streams end
	wg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Open is the firmware.OutputOpener of [http]: the web page and, beside
// it, the Prometheus metrics it serves at /metrics. Without [http] it
// opens nothing.
func Open(env firmware.OutputEnv) ([]firmware.Output, error) {
	cfg := env.Config.HTTP
	if cfg == nil {
		return nil, nil
	}
	m := metrics.New()
	s, err := New(*cfg, m.Handler(), env.Install)
	if err != nil {
		return nil, err
	}
	if s.token == "" && !isLoopback(s.ln.Addr()) {
		fmt.Fprintf(env.Stderr, "neonet: warning: the web page at %s is reachable from the network and [http] has no token_file: "+
			"anyone who reaches this address sees the camera\n", s.URL())
	}
	return []firmware.Output{s, m}, nil
}

// New listens on cfg.Listen and serves the page and the API; metrics, when
// not nil, is served at /metrics. With install and cfg.TeachDir, the page
// has its teach panel, whose trainings end in install.
func New(cfg firmware.HTTPConfig, metrics http.Handler, install teach.Installer) (*Server, error) {
	s := &Server{State: live.New(), stream: newStream(cfg.StreamFPS), done: make(chan struct{})}
	if cfg.TokenFile != "" {
		data, err := os.ReadFile(cfg.TokenFile)
		if err != nil {
			return nil, fmt.Errorf("http.token_file: %w", err)
		}
		s.token = strings.TrimSpace(string(data))
		if s.token == "" || strings.ContainsAny(s.token, " \t\r\n") {
			return nil, fmt.Errorf("http.token_file: %s: want one token (a line without spaces), got %d bytes", cfg.TokenFile, len(data))
		}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	s.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /stream.mjpg", s.mjpeg)
	mux.HandleFunc("GET /snapshot.jpg", s.snapshot)
	mux.HandleFunc("GET /api/status", s.status)
	mux.HandleFunc("GET /api/events", s.events)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	if cfg.TeachDir != "" && install != nil {
		s.teacher = teach.New(cfg.TeachDir, install)
		mux.HandleFunc("GET /api/teach", s.teachStatus)
		mux.HandleFunc("POST /api/teach/photo", s.changes(s.savePhoto))
		mux.HandleFunc("POST /api/teach/train", s.changes(s.train))
		mux.HandleFunc("POST /api/teach/stop", s.changes(s.stopTraining))
		mux.HandleFunc("POST /api/teach/remove", s.changes(s.removeClass))
	}
	s.srv = &http.Server{Handler: s.guard(mux), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.stream.encode(s.done)
	}()
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.closeErr = err
		}
	}()
	return s, nil
}

// Frame implements firmware.Output: the live state, and the pixels when
// someone watches the camera.
func (s *Server) Frame(f *firmware.Frame) {
	s.State.Frame(f)
	s.stream.offer(f.Pixels, f.Time)
}

// Configure implements firmware.Configurable: the live state's, and the
// running model's file, the teach panel's backbone.
func (s *Server) Configure(cfg *firmware.Config, labels []string) {
	s.State.Configure(cfg, labels)
	model := cfg.Model
	s.model.Store(&model)
}

// URL is the page's address; on every network it is http://0.0.0.0:PORT/.
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "0.0.0.0"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port)) + "/"
}

// String describes the server for the daemon's startup line.
func (s *Server) String() string {
	auth := "no token"
	if s.token != "" {
		auth = "token required"
	}
	switch {
	case s.teacher != nil && s.token != "":
		auth += "; teach panel, photos in " + s.teacher.Dir()
	case s.teacher != nil:
		auth += ", teach panel read-only"
	}
	return fmt.Sprintf("web page %s (%s; metrics at /metrics)", s.URL(), auth)
}

// closeWait bounds how long Close waits for requests in progress.
const closeWait = 2 * time.Second

// Close ends the streams, stops the server and a training in progress.
func (s *Server) Close() error {
	s.once.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), closeWait)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.srv.Close()
		}
		if s.teacher != nil {
			s.teacher.Close() // a training stops, uninstalled
		}
		s.wg.Wait()
	})
	return s.closeErr
}

// guard checks the token, when there is one, and sets the headers every
// answer has.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if s.token != "" && !s.authorized(r) {
			h.Set("WWW-Authenticate", `Bearer realm="neonet"`)
			http.Error(w, "token required: Authorization: Bearer TOKEN, or ?token=TOKEN", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		got = r.URL.Query().Get("token")
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.token)) == 1
}

// isLoopback reports whether addr can be reached from this machine only.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
