package serlog

import (
	"io"
	"sync"
	"sync/atomic"
)

// Logger queues records and writes them, in order, to its outputs from
// one goroutine.
type Logger struct {
	queue     chan string
	outs      []io.Writer
	overflow  atomic.Uint64
	errors    atomic.Uint64
	closeOnce sync.Once
	done      chan struct{}
}

// NewLogger starts a logger that holds at most capacity pending records
// and writes each to every one of outs.
func NewLogger(capacity int, outs ...io.Writer) *Logger {
	l := &Logger{queue: make(chan string, max(capacity, 1)), outs: outs, done: make(chan struct{})}
	go l.write()
	return l
}

func (l *Logger) write() {
	defer close(l.done)
	for line := range l.queue {
		for _, w := range l.outs {
			if _, err := io.WriteString(w, line); err != nil {
				l.errors.Add(1)
			}
		}
	}
}

// Log queues r without blocking; when the queue is full the record is
// dropped and counted.
func (l *Logger) Log(r *Record) {
	select {
	case l.queue <- r.String() + "\n":
	default:
		l.overflow.Add(1)
	}
}

// TakeOverflow returns the number of records dropped since the last call.
func (l *Logger) TakeOverflow() uint64 { return l.overflow.Swap(0) }

// TakeWriteErrors returns the number of failed writes since the last call.
func (l *Logger) TakeWriteErrors() uint64 { return l.errors.Swap(0) }

// Close writes the queued records and stops the writer. Log must not be
// called after Close.
func (l *Logger) Close() {
	l.closeOnce.Do(func() { close(l.queue) })
	<-l.done
}
