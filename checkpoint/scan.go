package checkpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// scanPickle checks a pickle before gopickle runs it, rejecting input that
// would make gopickle misbehave rather than fail cleanly:
//
//   - a length field larger than the bytes that remain: gopickle allocates
//     the announced length before reading, so a forged 8-byte length asks
//     for up to 2^63 bytes, a crash recover() cannot catch;
//   - DICT or SETITEMS over an odd number of items, which gopickle indexes
//     past the end of (found by FuzzDataPickle);
//   - bytes used as a dict key or set item, which gopickle puts in a Go map
//     and so panics hashing;
//   - an empty LONG argument, which gopickle cannot decode;
//   - thousands of nested MARKs, each of which gopickle backs with a fresh
//     slice, turning a small file into a large allocation.
//
// To know how many items each opcode sees it replays the opcodes' effect on
// the stack, memo and marks, tracking only whether each value is bytes.
// Stack underflows are reported here too; gopickle would reject those
// anyway.
func scanPickle(b []byte) error {
	s := &scanner{b: b, memo: make(map[int]bool)}
	for s.pos < len(s.b) {
		at := s.pos
		op := s.b[at]
		s.pos++
		arg, ok := pickleOps[op]
		if !ok {
			return fmt.Errorf("pickle: unknown opcode 0x%02x at byte %d", op, at)
		}
		payload, err := s.argument(arg)
		if err != nil {
			return fmt.Errorf("pickle opcode %s at byte %d: %w", opName(op), at, err)
		}
		if err := s.apply(op, payload); err != nil {
			return fmt.Errorf("pickle opcode %s at byte %d: %w", opName(op), at, err)
		}
		if op == '.' {
			return nil
		}
	}
	return fmt.Errorf("pickle: data ends without a STOP opcode")
}

// maxOpenMarks bounds MARK nesting. Real checkpoints nest a handful deep.
const maxOpenMarks = 10000

// Argument layouts of pickle opcodes (see CPython's pickletools).
const (
	argNone   = iota
	argFixed  // n bytes
	argLen    // little-endian length of n bytes, then that many bytes
	argLine   // text up to and including '\n'
	argLines2 // two such lines
	argFrame  // 8-byte frame length; the frame holds further opcodes
)

type opArg struct {
	kind uint8
	n    uint8 // bytes of the fixed argument or of the length field
}

// pickleOps lists every opcode of protocols 0 to 5. Opcodes missing here
// are rejected.
var pickleOps = map[byte]opArg{
	'(': {}, '.': {}, '0': {}, '1': {}, '2': {}, 'N': {}, 'Q': {}, 'R': {},
	'a': {}, 'b': {}, 'd': {}, '}': {}, 'e': {}, 'l': {}, ']': {}, 'o': {},
	's': {}, 't': {}, ')': {}, 'u': {},
	0x81: {}, 0x85: {}, 0x86: {}, 0x87: {}, 0x88: {}, 0x89: {}, 0x8f: {},
	0x90: {}, 0x91: {}, 0x92: {}, 0x93: {}, 0x94: {}, 0x97: {}, 0x98: {},

	'K': {argFixed, 1}, 'h': {argFixed, 1}, 'q': {argFixed, 1}, 0x80: {argFixed, 1}, 0x82: {argFixed, 1},
	'M': {argFixed, 2}, 0x83: {argFixed, 2},
	'J': {argFixed, 4}, 'j': {argFixed, 4}, 'r': {argFixed, 4}, 0x84: {argFixed, 4},
	'G': {argFixed, 8},

	'U': {argLen, 1}, 'C': {argLen, 1}, 0x8a: {argLen, 1}, 0x8c: {argLen, 1},
	'T': {argLen, 4}, 'B': {argLen, 4}, 'X': {argLen, 4}, 0x8b: {argLen, 4},
	0x8d: {argLen, 8}, 0x8e: {argLen, 8}, 0x96: {argLen, 8},

	'F': {kind: argLine}, 'I': {kind: argLine}, 'L': {kind: argLine}, 'P': {kind: argLine},
	'S': {kind: argLine}, 'V': {kind: argLine}, 'g': {kind: argLine}, 'p': {kind: argLine},
	'c': {kind: argLines2}, 'i': {kind: argLines2},

	0x95: {argFrame, 8},
}

func opName(op byte) string {
	if op >= 0x20 && op < 0x7f {
		return fmt.Sprintf("%q", op)
	}
	return fmt.Sprintf("0x%02x", op)
}

type scanner struct {
	b     []byte
	pos   int
	stack []bool       // per stack slot: is it a bytes value?
	marks []int        // stack heights at each open MARK
	memo  map[int]bool // memo slots in use: is the value bytes?
}

// argument consumes op's argument and returns it (for fixed and line
// arguments) or its payload (for length-prefixed ones).
func (s *scanner) argument(arg opArg) ([]byte, error) {
	left := uint64(len(s.b) - s.pos)
	switch arg.kind {
	case argFixed:
		if uint64(arg.n) > left {
			return nil, fmt.Errorf("%d-byte argument runs past the end", arg.n)
		}
		s.pos += int(arg.n)
		return s.b[s.pos-int(arg.n) : s.pos], nil
	case argLen, argFrame:
		if uint64(arg.n) > left {
			return nil, fmt.Errorf("length field runs past the end")
		}
		var n uint64
		switch f := s.b[s.pos:]; arg.n {
		case 1:
			n = uint64(f[0])
		case 4:
			n = uint64(binary.LittleEndian.Uint32(f))
		case 8:
			n = binary.LittleEndian.Uint64(f)
		}
		s.pos += int(arg.n)
		if n > left-uint64(arg.n) {
			return nil, fmt.Errorf("payload of %d bytes runs past the end (%d left)", n, left-uint64(arg.n))
		}
		if arg.kind == argFrame { // a frame's content is scanned as opcodes
			return nil, nil
		}
		s.pos += int(n)
		return s.b[s.pos-int(n) : s.pos], nil
	case argLine, argLines2:
		start := s.pos
		for range 1 + int(arg.kind-argLine) {
			nl := bytes.IndexByte(s.b[s.pos:], '\n')
			if nl < 0 {
				return nil, fmt.Errorf("unterminated text argument")
			}
			s.pos += nl + 1
		}
		return s.b[start : s.pos-1], nil
	}
	return nil, nil
}

// depth is the number of items above the last MARK, all that gopickle's
// stack holds (it sets the rest aside at each MARK).
func (s *scanner) depth() int {
	if len(s.marks) == 0 {
		return len(s.stack)
	}
	return len(s.stack) - s.marks[len(s.marks)-1]
}

func (s *scanner) need(n int) error {
	if d := s.depth(); d < n {
		return fmt.Errorf("needs %d stack items, has %d", n, d)
	}
	return nil
}

func (s *scanner) pop(n int) error {
	if err := s.need(n); err != nil {
		return err
	}
	s.stack = s.stack[:len(s.stack)-n]
	return nil
}

func (s *scanner) push(isBytes bool) { s.stack = append(s.stack, isBytes) }

// popMark removes the items since the last MARK, and the MARK.
func (s *scanner) popMark() ([]bool, error) {
	if len(s.marks) == 0 {
		return nil, fmt.Errorf("no MARK to pop")
	}
	m := s.marks[len(s.marks)-1]
	s.marks = s.marks[:len(s.marks)-1]
	items := s.stack[m:]
	s.stack = s.stack[:m]
	return items, nil
}

// keyItems checks items used as dict keys (every other item, from the
// first) or set members (every item, step 1).
func keyItems(items []bool, step int) error {
	if step == 2 && len(items)%2 != 0 {
		return fmt.Errorf("odd number of items (%d) for key/value pairs", len(items))
	}
	for i := 0; i < len(items); i += step {
		if items[i] {
			return fmt.Errorf("bytes used as a dict key or set item is not supported")
		}
	}
	return nil
}

// apply replays op's effect on the simulated stack, mirroring gopickle's
// implementation of each opcode.
func (s *scanner) apply(op byte, arg []byte) error {
	switch op {
	case '(', '.', '0', '1', '2':
		return s.applyStack(op)
	case 'g', 'h', 'j', 'p', 'q', 'r', 0x94:
		return s.applyMemo(op, arg)
	case 's', 'd', 'u', 0x90, 0x91, 'e', 'l', 't', 'o', 'i':
		return s.applyContainer(op)
	case 'B', 'C', 0x8e:
		s.push(true)
	case 'L':
		if len(bytes.TrimSuffix(arg, []byte("L"))) == 0 {
			return fmt.Errorf("empty LONG argument")
		}
		s.push(false)
	case 0x8a, 0x8b:
		if len(arg) == 0 {
			return fmt.Errorf("zero-length LONG is not supported")
		}
		if len(arg) <= 8 && !longFitsInt(arg) {
			return fmt.Errorf("LONG of %d bytes does not fit a %d-bit int", len(arg), strconv.IntSize)
		}
		s.push(false)
	case 'F', 'I', 'J', 'K', 'M', 'N', 'S', 'T', 'U', 'V', 'X', 'G', 'P', 'c',
		'}', ']', ')', 0x88, 0x89, 0x8c, 0x8d, 0x96, 0x8f, 0x97, 0x82, 0x83, 0x84:
		s.push(false)
	case 0x98: // READONLY_BUFFER: a no-op in gopickle without MakeReadOnly
	case 'Q', 0x85:
		return s.replace(1)
	case 'R', 'a', 'b', 0x81, 0x86, 0x93:
		return s.replace(2)
	case 0x87, 0x92:
		return s.replace(3)
	}
	return nil
}

// applyStack replays MARK, STOP, POP, POP_MARK and DUP.
func (s *scanner) applyStack(op byte) error {
	switch op {
	case '(':
		if len(s.marks) >= maxOpenMarks {
			return fmt.Errorf("more than %d nested MARKs", maxOpenMarks)
		}
		s.marks = append(s.marks, len(s.stack))
	case '.':
		return s.need(1)
	case '0':
		if s.depth() == 0 { // gopickle then drops the last MARK instead
			_, err := s.popMark()
			return err
		}
		return s.pop(1)
	case '1':
		_, err := s.popMark()
		return err
	case '2':
		if err := s.need(1); err != nil {
			return err
		}
		s.push(s.stack[len(s.stack)-1])
	}
	return nil
}

// applyMemo replays the memo's gets and puts.
func (s *scanner) applyMemo(op byte, arg []byte) error {
	if op == 0x94 { // MEMOIZE stores at index len(memo), as gopickle does
		if err := s.need(1); err != nil {
			return err
		}
		s.memo[len(s.memo)] = s.stack[len(s.stack)-1]
		return nil
	}
	i, err := memoIndex(op, arg)
	if err != nil {
		return err
	}
	switch op {
	case 'g', 'h', 'j':
		s.push(s.memo[i])
	case 'p', 'q', 'r':
		if err := s.need(1); err != nil {
			return err
		}
		s.memo[i] = s.stack[len(s.stack)-1]
	}
	return nil
}

// replace replays an op that turns the top n items into one object.
func (s *scanner) replace(n int) error {
	if err := s.pop(n); err != nil {
		return err
	}
	s.push(false)
	return nil
}

// applyContainer replays SETITEM and the ops that build or fill a
// container from the items above the last MARK.
func (s *scanner) applyContainer(op byte) error {
	if op == 's' {
		if err := s.need(3); err != nil {
			return err
		}
		if err := keyItems(s.stack[len(s.stack)-2:], 2); err != nil {
			return err
		}
		s.stack = s.stack[:len(s.stack)-2]
		return nil
	}
	items, err := s.popMark()
	if err != nil {
		return err
	}
	switch op {
	case 'd', 'u':
		err = keyItems(items, 2)
	case 0x90, 0x91:
		err = keyItems(items, 1)
	}
	if err != nil {
		return err
	}
	if op == 'u' || op == 0x90 || op == 'e' { // they also consume the container below the MARK
		if err := s.pop(1); err != nil {
			return err
		}
	}
	s.push(false)
	return nil
}

// longFitsInt reports whether a little-endian two's-complement LONG of at
// most 8 bytes fits this platform's int. gopickle decodes such a LONG to
// an int by truncation, so on a 32-bit build a size of 2^32+5 would read
// as 5; longer LONGs become big.Int values, which the checkpoint reader
// never accepts as a size.
func longFitsInt(arg []byte) bool {
	var u uint64
	for i := len(arg) - 1; i >= 0; i-- {
		u = u<<8 | uint64(arg[i])
	}
	shift := 64 - 8*uint(len(arg))
	v := int64(u<<shift) >> shift // sign-extended
	return v >= math.MinInt && v <= math.MaxInt
}

func memoIndex(op byte, arg []byte) (int, error) {
	switch op {
	case 'g', 'p':
		i, err := strconv.Atoi(string(arg))
		if err != nil || i < 0 {
			return 0, fmt.Errorf("bad memo index %q", arg)
		}
		return i, nil
	case 'h', 'q':
		return int(arg[0]), nil
	}
	return int(binary.LittleEndian.Uint32(arg)), nil
}
