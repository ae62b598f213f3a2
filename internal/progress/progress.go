package progress

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Printer returns a progress callback that writes to w, counting units
// ("images", "runs"): done of total, the rate and the time left.
func Printer(w io.Writer, unit string) func(done, total int) {
	start, last, lastTenth := time.Now(), time.Time{}, 0
	tty := IsTerminal(w)
	return func(done, total int) {
		tenth := done * 10 / total
		if tty && done < total && time.Since(last) < 500*time.Millisecond || !tty && tenth == lastTenth {
			return
		}
		last, lastTenth = time.Now(), tenth
		elapsed := time.Since(start)
		eta := time.Duration(float64(elapsed) / float64(done) * float64(total-done))
		line := fmt.Sprintf("  %d/%d %s  %.1f/s  eta %v", done, total, unit, float64(done)/elapsed.Seconds(), eta.Round(time.Second))
		switch {
		case !tty:
			fmt.Fprintln(w, line)
		case done == total:
			fmt.Fprintf(w, "\r%s   \n", line)
		default:
			fmt.Fprintf(w, "\r%s   ", line)
		}
	}
}

// IsTerminal reports whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
