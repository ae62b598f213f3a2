package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// UsageError is a mistake in the command line rather than a failure.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef formats a UsageError.
func Usagef(format string, a ...any) error { return UsageError{fmt.Errorf(format, a...)} }

// IsUsage reports whether err is a mistake in the command line.
func IsUsage(err error) bool { return errors.As(err, new(UsageError)) }

// helpPrinters holds each flag set's --help printer: help goes to stdout
// (so "neonet classify --help | less" works), while flag errors are
// reported once, on stderr, by the caller.
var (
	mu           sync.Mutex
	helpPrinters = map[*flag.FlagSet]func(){}
)

// NewFlags makes a flag set whose --help prints "Usage: PROGRAM NAME
// SYNOPSIS", the command's description (the file help/NAME.txt of help)
// and its flags to stdout.
func NewFlags(program, name, synopsis string, help fs.FS, stdout io.Writer) *flag.FlagSet {
	f := flag.NewFlagSet(name, flag.ContinueOnError)
	f.SetOutput(io.Discard)
	f.Usage = func() {}
	mu.Lock()
	defer mu.Unlock()
	helpPrinters[f] = func() {
		description, _ := fs.ReadFile(help, "help/"+name+".txt")
		fmt.Fprintf(stdout, "Usage: %s %s %s\n\n%s\n", program, name, synopsis, strings.TrimSpace(string(description)))
		var n int
		f.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(stdout, "\nFlags:")
			f.SetOutput(stdout)
			f.PrintDefaults()
			f.SetOutput(io.Discard)
		}
	}
	return f
}

// Parse parses flags that may come before, between or after positional
// arguments ("neonet classify cat.jpg --top 3") and returns the positional
// ones. --help prints the help and returns flag.ErrHelp; a bad flag is a
// UsageError.
func Parse(f *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				mu.Lock()
				printHelp := helpPrinters[f]
				mu.Unlock()
				if printHelp != nil {
					printHelp()
				}
				return nil, err
			}
			return nil, UsageError{err}
		}
		args = f.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// ParseFlags parses the command line of a command that takes flags only.
func ParseFlags(f *flag.FlagSet, args []string) error {
	pos, err := Parse(f, args)
	if err == nil && len(pos) > 0 {
		err = Usagef("unexpected argument %q", pos[0])
	}
	return err
}

// Given reports whether any of the named flags was on the command line.
func Given(f *flag.FlagSet, names ...string) bool {
	found := false
	f.Visit(func(fl *flag.Flag) { found = found || slices.Contains(names, fl.Name) })
	return found
}

// SplitList splits a comma-separated flag value, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// AtLeastOne is an integer flag that must be 1 or more: 0 would read as
// "none" to some and "no limit" to others.
type AtLeastOne struct{ N *int }

func (v AtLeastOne) String() string {
	if v.N == nil {
		return "0"
	}
	return strconv.Itoa(*v.N)
}

// Set parses a whole number of at least 1.
func (v AtLeastOne) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("want a whole number, at least 1")
	}
	*v.N = n
	return nil
}
