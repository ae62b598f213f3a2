package firmware

import (
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier tells the service manager about the daemon's state, in
// sd_notify's "KEY=value" lines (READY=1, WATCHDOG=1, STATUS=...).
type Notifier interface {
	Notify(state string) error
}

// Systemd notifies through $NOTIFY_SOCKET; without it (not started by
// systemd) every notification is a no-op.
type Systemd struct{}

// Notify sends state to systemd.
func (Systemd) Notify(state string) error {
	_, err := daemon.SdNotify(false, state)
	return err
}

// WatchdogInterval is how often the daemon should send WATCHDOG=1: half of
// the unit's WatchdogSec, as systemd recommends, or 0 when the watchdog is
// off.
func WatchdogInterval() time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}

// reloadingState is sent before a reload; systemd wants the monotonic
// time with it (systemd >= 253 checks it for Type=notify-reload).
func reloadingState() string {
	return "RELOADING=1\n" + daemon.SdNotifyMonotonicUsec()
}
