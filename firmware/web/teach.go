package web

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"time"

	"neonet.dev/neonet/firmware/live"
	"neonet.dev/neonet/firmware/teach"
)

// This file is the teach panel's API: the class folders and their photos,
// saving the next frame into one, and trainings.

// Status is what /api/status serves: the live state, and the teach
// panel's when it is on.
type Status struct {
	live.Status
	Teach *TeachStatus `json:"teach,omitempty"`
}

// TeachStatus is the teach panel's state.
type TeachStatus struct {
	teach.Status
	// ReadOnly says why the panel cannot change anything, "" when it can.
	ReadOnly string `json:"read_only,omitempty"`
}

// noToken is why the teach panel is read-only without a token file.
const noToken = "teaching changes the running model: it needs a token (token_file in [http])"

// maxForm bounds the body of a request that changes something.
const maxForm = 4 << 10

// pageStatus is the state at now; withLabels adds every class of the
// model.
func (s *Server) pageStatus(now time.Time, withLabels bool) Status {
	return Status{Status: s.Snapshot(now, withLabels), Teach: s.teachState()}
}

// stateVersion changes whenever pageStatus does.
func (s *Server) stateVersion() uint64 {
	v := s.Version()
	if s.teacher != nil {
		v += s.teacher.Version()
	}
	return v
}

func (s *Server) teachState() *TeachStatus {
	if s.teacher == nil {
		return nil
	}
	st := &TeachStatus{Status: s.teacher.Status()}
	if s.token == "" {
		st.ReadOnly = noToken
	}
	return st
}

// changes wraps a handler that changes something: it needs the token,
// which guard has checked, so without a token file it is refused.
func (s *Server) changes(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.token == "" {
			http.Error(w, noToken, http.StatusForbidden)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// teachStatus serves the teach panel's state.
func (s *Server) teachStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.teachState())
}

// savePhoto saves the next frame the model sees into the class folder of
// the form's label.
func (s *Server) savePhoto(w http.ResponseWriter, r *http.Request) {
	label := r.FormValue("label")
	if err := teach.CheckLabel(label); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f, err := s.stream.grab(r.Context(), snapshotWait)
	if err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	saved, err := s.teacher.Save(label, f)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, http.StatusOK, saved)
}

// train starts a training on the running model.
func (s *Server) train(w http.ResponseWriter, r *http.Request) {
	model := s.model.Load()
	if model == nil {
		http.Error(w, "no model is running yet", http.StatusServiceUnavailable)
		return
	}
	s.reply(w, s.teacher.Train(*model), http.StatusAccepted, http.StatusServiceUnavailable)
}

// stopTraining ends the running training.
func (s *Server) stopTraining(w http.ResponseWriter, r *http.Request) {
	s.reply(w, s.teacher.Stop(), http.StatusAccepted, http.StatusInternalServerError)
}

// removeClass deletes the class folder of the form's label.
func (s *Server) removeClass(w http.ResponseWriter, r *http.Request) {
	s.reply(w, s.teacher.Remove(r.FormValue("label")), http.StatusOK, http.StatusBadRequest)
}

// reply answers a change to the teach panel: with its state and status ok
// when err is nil; else with err and 409 when the change conflicts with a
// training (one runs, or none does), 404 for a class that does not exist,
// or failed.
func (s *Server) reply(w http.ResponseWriter, err error, ok, failed int) {
	switch {
	case err == nil:
		writeJSON(w, ok, s.teachState())
	case errors.Is(err, teach.ErrBusy), errors.Is(err, teach.ErrIdle):
		http.Error(w, err.Error(), http.StatusConflict)
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		http.Error(w, err.Error(), failed)
	}
}
