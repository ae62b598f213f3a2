package serlog

import (
	"io"
	"sync/atomic"
	"time"
)

// Port is a serial port that comes back: a write that fails (the adapter
// pulled, the line hung up) closes it, and it is opened again with
// backoff, on later writes; a port that cannot be opened at start is
// treated the same. What is not written to it meanwhile is counted as
// lost (TakeLost) while the other outputs of the Logger (stdout, the
// journal) get every record. A Logger writes to it from one goroutine.
type Port struct {
	open     func() (io.WriteCloser, error)
	min, max time.Duration // the backoff's bounds
	now      func() time.Time
	// OnChange, if set, is called on the writing goroutine when the port
	// fails (err set: the first failure after it worked, or at start) and
	// when it is open again (err nil).
	OnChange func(err error)

	w       io.WriteCloser // nil while the port is down
	next    time.Time      // when to try opening it again
	backoff time.Duration
	down    bool // a failure was reported and the port has not come back
	lost    atomic.Uint64
}

// NewPort returns a port that open opens, retried after first, doubling
// up to most while it keeps failing. Nothing is opened until the first
// write.
func NewPort(open func() (io.WriteCloser, error), first, most time.Duration) *Port {
	return &Port{open: open, min: first, max: max(first, most), backoff: first, now: time.Now}
}

// Write writes p to the port, opening it first if it is down and its
// retry is due. It never fails: p is written, or counted as lost.
func (p *Port) Write(b []byte) (int, error) {
	if p.w == nil && !p.now().Before(p.next) {
		w, err := p.open()
		if err != nil {
			p.failed(err)
		} else {
			p.w, p.backoff = w, p.min
			if p.down {
				p.down = false
				p.changed(nil)
			}
		}
	}
	if p.w == nil {
		p.lost.Add(1)
		return len(b), nil
	}
	if _, err := p.w.Write(b); err != nil {
		p.w.Close()
		p.w = nil
		p.lost.Add(1)
		p.failed(err)
	}
	return len(b), nil
}

// failed schedules the next open and reports the failure once.
func (p *Port) failed(err error) {
	p.next = p.now().Add(p.backoff)
	p.backoff = min(2*p.backoff, p.max)
	if !p.down {
		p.down = true
		p.changed(err)
	}
}

func (p *Port) changed(err error) {
	if p.OnChange != nil {
		p.OnChange(err)
	}
}

// TakeLost returns the number of records not written to the port since
// the last call.
func (p *Port) TakeLost() uint64 { return p.lost.Swap(0) }

// Close closes the port if it is open. Call it after the Logger's Close.
func (p *Port) Close() error {
	if p.w == nil {
		return nil
	}
	err := p.w.Close()
	p.w = nil
	return err
}
