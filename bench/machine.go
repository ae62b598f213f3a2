package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"neonet.dev/neonet/kernels/dispatch"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU      string  `json:"cpu"`
	Cores    int     `json:"cores"`
	OS       string  `json:"os"`
	Arch     string  `json:"arch"`
	Go       string  `json:"go"`
	Kernels  string  `json:"int8_kernels"`
	LoadAvg1 float64 `json:"load_average_1min,omitempty"` // at the start, Linux only
}

// ThisMachine describes this machine, with the int8 kernel path the
// benchmark runs on.
func ThisMachine(path dispatch.Path) Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH,
		Go: runtime.Version(), Kernels: path.String(), LoadAvg1: loadAverage()}
}

// cpuModel is the CPU's name from /proc/cpuinfo ("model name", or on arm64
// boards the "Model" line), or the architecture where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	var model string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(key) {
		case "model name":
			return strings.TrimSpace(value)
		case "Model":
			model = strings.TrimSpace(value)
		}
	}
	if model != "" {
		return model
	}
	return runtime.GOARCH
}

// loadAverage is the one-minute load average (Linux), or 0.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(fields[0], 64)
	return v
}
