package main

import (
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"neonet.dev/neonet/internal/cli"
)

// command is one subcommand of neonet.
type command struct {
	name    string
	summary string // one line in `neonet help`; the synopsis is the command's own (newFlags)
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands []command

func init() {
	commands = []command{
		{"models", "list the models neonet can build", runModels},
		{"summary", "print a model's parameters (as PyTorch names them), MACs and input size", runSummary},
		{"classify", "print the most likely classes of images", runClassify},
		{"eval", "measure top-1/top-5 accuracy on a labelled folder; compare fp32 with int8", runEval},
		{"quantize", "quantize a model to int8 and save it as a model file", runQuantize},
		{"inspect", "print what a model file holds", runInspect},
		{"collect", "save camera frames as training photos of one class", runCollect},
		{"train", "train a classifier for your own classes on a model's int8 features", runTrain},
		{"bench", "measure inference latency (min/median/max ms, GMAC/s) per model, precision and threads", runBench},
		{"run", "run the firmware: camera -> model -> rules -> GPIO pins and serial log", runRun},
		{"smoke", "check a board: model, camera, every pin, serial port and temperature", runSmoke},
		{"gpio", "blink an output pin to check its wiring; drive every configured pin inactive", runGPIO},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the process exit code: 0 on
// success, 1 when the command failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout, stderr)
		switch {
		case err == nil || errors.Is(err, flag.ErrHelp):
			return 0
		case cli.IsUsage(err):
			fmt.Fprintf(stderr, "neonet %s: %v\nRun 'neonet %s --help' for usage.\n", c.name, err, c.name)
			return 2
		default:
			fmt.Fprintf(stderr, "neonet %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "neonet: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "neonet runs image classification models (SqueezeNet, EfficientNet, ShiftNet) on CPUs.")
	fmt.Fprintln(w, "\nUsage:\n  neonet COMMAND [flags] [arguments]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'neonet COMMAND --help' for a command's flags.")
}

// help holds each command's description, help/COMMAND.txt.
//
//go:embed help/*.txt
var help embed.FS

// newFlags makes a flag set whose --help prints the command's synopsis,
// description (help/NAME.txt) and flags to stdout.
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	return cli.NewFlags("neonet", name, synopsis, help, stdout)
}
