// Package cli is the command line's plumbing, apart from any command:
// flag sets whose --help prints the command's description, flags given
// before, between or after positional arguments, and usage errors (a
// mistake in the command line, exit code 2) told apart from failures.
//
// cmd/neonet declares the flags and prints; this package only parses.
package cli
