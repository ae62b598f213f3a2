package serlog

import (
	"fmt"

	"go.bug.st/serial"
)

// Framing is a serial line's character format.
type Framing struct {
	Baud     int
	DataBits int  // 5..8
	Parity   byte // 'N', 'E' or 'O'
	StopBits int  // 1 or 2
}

// OpenSerial opens a serial port for writing records.
func OpenSerial(port string, f Framing) (serial.Port, error) {
	mode := &serial.Mode{BaudRate: f.Baud, DataBits: f.DataBits}
	switch f.Parity {
	case 'N':
		mode.Parity = serial.NoParity
	case 'E':
		mode.Parity = serial.EvenParity
	case 'O':
		mode.Parity = serial.OddParity
	default:
		return nil, fmt.Errorf("serial port %s: parity %q, want N, E or O", port, f.Parity)
	}
	switch f.StopBits {
	case 1:
		mode.StopBits = serial.OneStopBit
	case 2:
		mode.StopBits = serial.TwoStopBits
	default:
		return nil, fmt.Errorf("serial port %s: %d stop bits, want 1 or 2", port, f.StopBits)
	}
	p, err := serial.Open(port, mode)
	if err != nil {
		return nil, fmt.Errorf("serial port %s: %w (is the user in group dialout, and the serial console disabled?)", port, err)
	}
	return p, nil
}
