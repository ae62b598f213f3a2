package checkpoint

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Tensor is one entry of a state dict, converted to float32.
type Tensor struct {
	Name  string
	Shape []int // empty for a 0-dim (scalar) tensor
	DType DType // dtype as stored in the file
	Data  []float32
}

// NumElements is the product of Shape (1 for a scalar).
func (t *Tensor) NumElements() int { return len(t.Data) }

// StateDict is the decoded content of a checkpoint.
type StateDict struct {
	Keys    []string // in file order
	Tensors map[string]*Tensor
	Path    string
}

// Get returns the tensor stored under name.
func (sd *StateDict) Get(name string) (*Tensor, bool) {
	t, ok := sd.Tensors[name]
	return t, ok
}

// Limits on what the file may make us allocate. Sizes that come straight
// from the file are checked against these and against the bytes present.
const (
	// maxPickleBytes bounds data.pkl. A state dict pickle spends about 160
	// bytes per tensor, so this allows some 100,000 tensors, while the
	// unpickler's memory (a few tens of bytes per opcode) stays bounded.
	maxPickleBytes = 16 << 20
	// maxDeflateRatio is the best ratio deflate can reach; an entry claiming
	// more uncompressed bytes than this cannot be genuine.
	maxDeflateRatio = 1032
	// maxBroadcastElements bounds tensors whose zero strides make them larger
	// than their storage (an expanded view). Real state dicts rarely have
	// them; a forged stride-0 shape must not make us allocate terabytes.
	maxBroadcastElements = 1 << 24
)

// Load reads the checkpoint at path. See the package documentation for the
// accepted layouts.
func Load(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return decode(f, st.Size(), path)
}

// decode does the work of Load on any random-access source; path is used
// only in messages. It is separate so tests and the fuzzer can feed bytes.
func decode(r io.ReaderAt, size int64, path string) (sd *StateDict, err error) {
	// Defence in depth: the unpickler is third-party code that indexes
	// slices without checking. Everything is validated beforehand, but a
	// malformed file must never take the process down.
	defer func() {
		if p := recover(); p != nil {
			sd = nil
			err = fmt.Errorf("checkpoint %s: malformed file (%w: %v)", path, errDecoderPanic, p)
		}
	}()
	a, err := openArchive(r, size, path)
	if err != nil {
		return nil, err
	}
	root, err := a.unpickle()
	if err != nil {
		return nil, err
	}
	entries, err := a.findStateDict(root)
	if err != nil {
		return nil, err
	}
	return a.buildStateDict(entries)
}

// archive is an opened torch zip checkpoint.
type archive struct {
	path    string
	size    int64
	prefix  string // directory holding data.pkl, with trailing slash
	files   map[string]*zip.File
	storage map[string]*storageRef // by storage key, filled while unpickling
}

func openArchive(r io.ReaderAt, size int64, path string) (*archive, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, notZipError(r, size, path, err)
	}
	a := &archive{
		path:    path,
		size:    size,
		files:   make(map[string]*zip.File, len(zr.File)),
		storage: make(map[string]*storageRef),
	}
	for _, f := range zr.File {
		if _, dup := a.files[f.Name]; !dup {
			a.files[f.Name] = f
		}
	}
	// torch.save writes everything under one top-level directory whose name
	// varies (the file stem, or "archive" in newer versions).
	for _, f := range zr.File {
		dir, base, ok := strings.Cut(f.Name, "/")
		if ok && base == "data.pkl" && dir != "" {
			a.prefix = dir + "/"
			break
		}
	}
	if a.prefix == "" {
		return nil, fmt.Errorf("checkpoint %s: zip archive has no <dir>/data.pkl entry; not a torch.save checkpoint", path)
	}
	if _, ok := a.files[a.prefix+"constants.pkl"]; ok {
		return nil, fmt.Errorf("checkpoint %s: is a TorchScript archive (torch.jit.save); save model.state_dict() with torch.save instead", path)
	}
	if f, ok := a.files[a.prefix+"byteorder"]; ok {
		b, err := a.readEntry(f, 16)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, fmt.Errorf("checkpoint %s: byte order %q is not supported, only little-endian", path, s)
		}
	}
	return a, nil
}

// notZipError explains a file zip could not open, telling the old torch
// format (a bare pickle stream) apart from anything else.
func notZipError(r io.ReaderAt, size int64, path string, zerr error) error {
	var head [2]byte
	n, _ := r.ReadAt(head[:], 0)
	switch {
	case size == 0:
		return fmt.Errorf("checkpoint %s: file is empty", path)
	case n >= 1 && head[0] == 0x80:
		return fmt.Errorf("checkpoint %s: legacy (pre-1.6) torch.save format is not supported; re-save it with PyTorch >= 1.6", path)
	case n == 2 && head[0] == 'P' && head[1] == 'K':
		return fmt.Errorf("checkpoint %s: corrupt or truncated zip archive: %v", path, zerr)
	}
	return fmt.Errorf("checkpoint %s: not a PyTorch checkpoint (not a zip archive: %v)", path, zerr)
}

// readEntry reads a whole zip entry of at most limit bytes, reading to the
// end so that archive/zip verifies the CRC.
func (a *archive) readEntry(f *zip.File, limit int64) ([]byte, error) {
	if err := a.checkEntrySize(f, uint64(limit)); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: entry %s: %v", a.path, f.Name, err)
	}
	defer rc.Close()
	// ReadAll grows with the bytes actually produced, not with a size the
	// header claims.
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = fmt.Errorf("larger than the %d bytes allowed", limit)
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: entry %s: %v", a.path, f.Name, err)
	}
	return b, nil
}

// checkEntrySize rejects entries whose declared size cannot be genuine for
// this file or exceeds limit.
func (a *archive) checkEntrySize(f *zip.File, limit uint64) error {
	u, c := f.UncompressedSize64, f.CompressedSize64
	var why string
	switch {
	case u > limit:
		why = fmt.Sprintf("declares %d bytes, more than the %d allowed", u, limit)
	case c > uint64(a.size):
		why = fmt.Sprintf("declares %d compressed bytes but the file has only %d", c, a.size)
	case f.Method == zip.Store && u != c:
		why = fmt.Sprintf("stored entry declares %d bytes but occupies %d", u, c)
	case f.Method != zip.Store && u/maxDeflateRatio > c:
		why = fmt.Sprintf("declares %d bytes from %d compressed, an impossible ratio", u, c)
	}
	if why != "" {
		return fmt.Errorf("checkpoint %s: entry %s %s", a.path, f.Name, why)
	}
	return nil
}

// errDecoderPanic marks a panic recovered from the unpickler. Validation is
// meant to stop bad input before that; the fuzz tests treat it as a bug.
var errDecoderPanic = errors.New("decoder panicked")

// errTruncated marks storage entries shorter than their declaration.
var errTruncated = errors.New("truncated")

// readStorage reads exactly want bytes of storage key, which must be the
// whole entry, and verifies the entry's CRC.
func (a *archive) readStorage(s *storageRef, want uint64) ([]byte, error) {
	name := a.prefix + "data/" + s.key
	f, ok := a.files[name]
	if !ok {
		return nil, fmt.Errorf("zip entry %s is missing", name)
	}
	if f.UncompressedSize64 < want {
		return nil, fmt.Errorf("%w: storage %q declares %d elements of %s (%d bytes) but zip entry %s holds %d bytes",
			errTruncated, s.key, s.numel, s.dtype, want, name, f.UncompressedSize64)
	}
	if err := a.checkEntrySize(f, f.UncompressedSize64); err != nil {
		return nil, err
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("zip entry %s: %v", name, err)
	}
	defer rc.Close()
	buf := make([]byte, want)
	if _, err := io.ReadFull(rc, buf); err != nil {
		return nil, fmt.Errorf("zip entry %s: reading %d bytes for storage %q: %v", name, want, s.key, err)
	}
	// Drain the rest so archive/zip reaches EOF and checks the CRC: a
	// flipped bit in the weights is otherwise silent.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, fmt.Errorf("zip entry %s: %v", name, err)
	}
	return buf, nil
}

// unpickle decodes data.pkl.
func (a *archive) unpickle() (any, error) {
	b, err := a.readEntry(a.files[a.prefix+"data.pkl"], maxPickleBytes)
	if err != nil {
		return nil, err
	}
	if err := scanPickle(b); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %sdata.pkl: %w", a.path, a.prefix, err)
	}
	v, err := newUnpickler(bytes.NewReader(b), a.storage).Load()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %sdata.pkl: %w", a.path, a.prefix, err)
	}
	return v, nil
}
