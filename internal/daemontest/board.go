package daemontest

import (
	"testing"

	"periph.io/x/conn/v3/gpio"

	"neonet.dev/neonet/firmware/pins"
)

// Board is a simulated board: simulated pins of every process started
// with its Env keep their levels in its folder, as a real board's pins
// keep theirs after the process that drove them ends.
type Board struct{ Dir string }

// NewBoard makes an empty simulated board for t.
func NewBoard(t testing.TB) *Board { return &Board{Dir: t.TempDir()} }

// Env is the environment that puts a daemon's simulated pins on the board.
func (b *Board) Env() []string { return []string{pins.SimBoardEnv + "=" + b.Dir} }

// High reports whether the pin name is at a high level; a pin never
// driven is low.
func (b *Board) High(t testing.TB, name string) bool {
	t.Helper()
	l, err := pins.ReadSimLevel(b.Dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return l == gpio.High
}
