package main

import (
	"fmt"
	"io"
	"time"

	"neonet.dev/neonet/firmware"
	"neonet.dev/neonet/firmware/smoke"
)

func runSmoke(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("smoke", "[--config FILE] [--frames N] [--blink D] [--sim]", stdout)
	config := fs.String("config", firmware.DefaultConfigPath, "configuration file (TOML)")
	frames := fs.Int("frames", 30, "camera frames to read")
	blink := fs.Duration("blink", 500*time.Millisecond, "how long each pin stays active (watch the LEDs)")
	sim := fs.Bool("sim", false, "simulated pins (to try the command away from a board)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *frames < 1 || *blink <= 0 {
		return usageErrorf("--frames must be at least 1 and --blink positive")
	}
	checks, err := smoke.Run(firmware.Options{Config: *config, SimPins: *sim}, smoke.Options{Frames: *frames, Blink: *blink, Stdout: stdout},
		func(c smoke.Check) {
			status, info := "ok  ", c.Info
			if c.Err != nil {
				status, info = "FAIL", c.Err.Error()
			}
			fmt.Fprintf(stdout, "%s %-12s %s\n", status, c.Name, info)
		})
	if err != nil {
		return fmt.Errorf("the configuration or model failed; nothing else was checked")
	}
	failed := 0
	for _, c := range checks {
		if c.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	fmt.Fprintf(stdout, "all %d checks passed\n", len(checks))
	return nil
}
