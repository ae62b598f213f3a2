package firmware

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// This file reads the board's health and the process's footprint: the
// SoC temperature, the Raspberry Pi firmware's throttling state, and the
// process's CPU time and peak memory.

// SoCTemperature reads the SoC temperature in degrees Celsius from
// root/sys/class/thermal/thermal_zone0/temp (millidegrees on Raspberry Pi
// and Jetson); root is "/" on a board and a test folder in tests.
func SoCTemperature(root string) (float64, error) {
	path := filepath.Join(root, "sys/class/thermal/thermal_zone0/temp")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	milli, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: want millidegrees Celsius as an integer, got %q", path, strings.TrimSpace(string(data)))
	}
	return float64(milli) / 1000, nil
}

// Throttling is the Raspberry Pi firmware's throttling state, the value
// `vcgencmd get_throttled` prints: bits 0-3 are conditions in force now,
// bits 16-19 the same conditions since boot.
type Throttling uint32

// The conditions, bits 0-3 of a Throttling.
const (
	UnderVoltage    Throttling = 1 << iota // the supply voltage is below 4.63 V
	FrequencyCapped                        // the ARM frequency is capped (temperature or voltage)
	Throttled                              // the ARM runs below its set frequency
	SoftTempLimit                          // the soft temperature limit (60 °C by default on a Pi 3B+) is reached
)

// throttlingNames name the conditions in bit order.
var throttlingNames = []string{"under-voltage", "frequency capped", "throttled", "soft temperature limit"}

// Now is the conditions in force now.
func (t Throttling) Now() Throttling { return t & 0xf }

// SinceBoot is the conditions that have occurred since boot, as bits 0-3.
func (t Throttling) SinceBoot() Throttling { return t >> 16 & 0xf }

// String lists the conditions of bits 0-3 ("under-voltage, throttled"),
// "none" without any.
func (t Throttling) String() string {
	var names []string
	for i, name := range throttlingNames {
		if t&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Hex is the state as vcgencmd prints it: "0x50005".
func (t Throttling) Hex() string { return "0x" + strconv.FormatUint(uint64(t), 16) }

// ThrottleSensor reads the board's throttling state: FirmwareThrottle on
// a Raspberry Pi, a fake in tests.
type ThrottleSensor interface {
	// Throttling returns the state, or ErrNoThrottling on a board that
	// does not report one.
	Throttling() (Throttling, error)
}

// ErrNoThrottling is the throttling state of a board that has none to
// report (not a Raspberry Pi, or a kernel without the firmware driver's
// file).
var ErrNoThrottling = errors.New("no throttling state on this board (no Raspberry Pi firmware file get_throttled)")

// FirmwareThrottle reads the throttling state from the file the
// Raspberry Pi kernel's firmware driver exports,
// /sys/devices/platform/soc/soc:firmware/get_throttled (the firmware node
// is named after the SoC's bus on other models), in hexadecimal: what
// `vcgencmd get_throttled` reports, without running a process.
type FirmwareThrottle struct {
	path string // "" when the board has no such file
}

// firmwareThrottleGlob finds the file under every model's bus name.
const firmwareThrottleGlob = "sys/devices/platform/*/*firmware/get_throttled"

// NewFirmwareThrottle looks for the firmware's file under root ("/" on a
// board, a test folder in tests).
func NewFirmwareThrottle(root string) *FirmwareThrottle {
	matches, _ := filepath.Glob(filepath.Join(root, firmwareThrottleGlob))
	if len(matches) == 0 {
		return &FirmwareThrottle{}
	}
	return &FirmwareThrottle{path: matches[0]}
}

// Throttling implements ThrottleSensor.
func (f *FirmwareThrottle) Throttling() (Throttling, error) {
	if f.path == "" {
		return 0, ErrNoThrottling
	}
	data, err := os.ReadFile(f.path)
	if err != nil {
		return 0, err
	}
	s := strings.TrimPrefix(strings.TrimSpace(string(data)), "0x")
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%s: want the throttling state in hexadecimal, got %q", f.path, strings.TrimSpace(string(data)))
	}
	return Throttling(v), nil
}

// Usage is what the process has used of the machine since it started.
type Usage struct {
	CPU    time.Duration // CPU time, user and system, of every thread
	MaxRSS int64         // peak resident memory, bytes
}

// ProcessUsage reads the process's usage (getrusage).
func ProcessUsage() (Usage, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return Usage{}, fmt.Errorf("getrusage: %w", err)
	}
	return Usage{CPU: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), MaxRSS: int64(ru.Maxrss) * 1024}, nil
}
