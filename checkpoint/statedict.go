package checkpoint

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// dataParallelPrefix is what nn.DataParallel and DistributedDataParallel
// put in front of every key of the wrapped model.
const dataParallelPrefix = "module."

type entry struct{ key, value any }

// dictEntries lists a pickled dict or OrderedDict in insertion order.
func dictEntries(v any) ([]entry, bool) {
	switch d := v.(type) {
	case *types.OrderedDict:
		out := make([]entry, 0, d.Len())
		for el := d.List.Front(); el != nil; el = el.Next() {
			if e, ok := el.Value.(*types.OrderedDictEntry); ok {
				out = append(out, entry{e.Key, e.Value})
			}
		}
		return out, true
	case *types.Dict:
		// gopickle's Dict appends repeated keys instead of replacing them;
		// Python keeps the first position and the last value.
		out := make([]entry, 0, len(*d))
		seen := make(map[string]int)
		for _, e := range *d {
			if k, ok := e.Key.(string); ok {
				if i, dup := seen[k]; dup {
					out[i].value = e.Value
					continue
				}
				seen[k] = len(out)
			}
			out = append(out, entry{e.Key, e.Value})
		}
		return out, true
	}
	return nil, false
}

// findStateDict unwraps training checkpoints ({"state_dict": ...} or
// {"model": ...}) and returns the state dict's entries.
func (a *archive) findStateDict(root any) ([]entry, error) {
	top, ok := dictEntries(root)
	if !ok {
		return nil, fmt.Errorf("checkpoint %s: top level is %s, expected a state dict (a dict of tensors)", a.path, describe(root))
	}
	for _, wrapper := range []string{"state_dict", "model"} {
		for _, e := range top {
			if k, _ := e.key.(string); k != wrapper {
				continue
			}
			if inner, ok := dictEntries(e.value); ok {
				return inner, nil
			}
			// A parameter may legitimately be called "model"; anything
			// else under these names is a whole pickled module or similar.
			if _, isTensor := e.value.(*rawTensor); !isTensor {
				return nil, fmt.Errorf("checkpoint %s: %q holds %s, expected a state dict; save model.state_dict() instead of the model",
					a.path, wrapper, describe(e.value))
			}
		}
	}
	return top, nil
}

func (a *archive) buildStateDict(entries []entry) (*StateDict, error) {
	keys := make([]string, len(entries))
	strip := len(entries) > 0
	for i, e := range entries {
		k, ok := e.key.(string)
		if !ok {
			return nil, fmt.Errorf("checkpoint %s: state dict key #%d is %s, expected a string", a.path, i, describe(e.key))
		}
		keys[i] = k
		strip = strip && strings.HasPrefix(k, dataParallelPrefix)
	}
	// Count the users of each storage so a storage used once, whole, can be
	// handed over instead of copied.
	users := make(map[*storageRef]int)
	for i, e := range entries {
		rt, ok := e.value.(*rawTensor)
		if !ok {
			return nil, fmt.Errorf("checkpoint %s: key %q: expected a tensor, got %s", a.path, keys[i], describe(e.value))
		}
		users[rt.storage]++
	}
	sd := &StateDict{
		Keys:    make([]string, 0, len(entries)),
		Tensors: make(map[string]*Tensor, len(entries)),
		Path:    a.path,
	}
	for i, e := range entries {
		t, err := a.materialize(e.value.(*rawTensor), users)
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: tensor %q: %w", a.path, keys[i], err)
		}
		t.Name = keys[i]
		if strip {
			t.Name = strings.TrimPrefix(t.Name, dataParallelPrefix)
		}
		if _, dup := sd.Tensors[t.Name]; dup {
			return nil, fmt.Errorf("checkpoint %s: key %q appears twice", a.path, t.Name)
		}
		sd.Keys = append(sd.Keys, t.Name)
		sd.Tensors[t.Name] = t
	}
	return sd, nil
}

// materialize validates a tensor's geometry against its storage and returns
// its values in row-major order.
func (a *archive) materialize(rt *rawTensor, users map[*storageRef]int) (*Tensor, error) {
	s := rt.storage
	if !s.dtype.valid() {
		return nil, fmt.Errorf("unsupported storage type torch.%s", s.class)
	}
	if len(rt.shape) != len(rt.stride) {
		return nil, fmt.Errorf("shape %v and stride %v have different lengths", rt.shape, rt.stride)
	}
	numel, span, err := extent(rt.offset, rt.shape, rt.stride)
	if err != nil {
		return nil, fmt.Errorf("shape %v, stride %v, offset %d: %w", rt.shape, rt.stride, rt.offset, err)
	}
	if span > s.numel {
		return nil, fmt.Errorf("shape %v (stride %v, offset %d) needs %d storage elements but storage %q holds %d",
			rt.shape, rt.stride, rt.offset, span, s.key, s.numel)
	}
	if numel > s.numel && numel > maxBroadcastElements {
		return nil, fmt.Errorf("shape %v expands %d storage elements to %d, more than the %d allowed",
			rt.shape, s.numel, numel, maxBroadcastElements)
	}
	t := &Tensor{Shape: rt.shape, DType: s.dtype}
	if numel == 0 {
		t.Data = []float32{}
		return t, nil
	}
	if err := a.decodeStorage(s); err != nil {
		return nil, err
	}
	contiguous := isContiguous(rt.shape, rt.stride)
	if contiguous && rt.offset == 0 && numel == s.numel && users[s] == 1 {
		t.Data = s.data
		return t, nil
	}
	t.Data = make([]float32, numel)
	if contiguous {
		copy(t.Data, s.data[rt.offset:rt.offset+numel])
		return t, nil
	}
	gather(t.Data, s.data, rt.offset, rt.shape, rt.stride)
	return t, nil
}

var errOverflow = errors.New("size overflows")

// extent returns the number of elements of a tensor and how many storage
// elements it reaches (1 + the largest index it touches), guarding every
// arithmetic step against overflow since all inputs come from the file.
func extent(offset int, shape, stride []int) (numel, span int, err error) {
	numel = 1
	last := offset
	for i, n := range shape {
		if n == 0 {
			return 0, 0, nil
		}
		if numel > math.MaxInt/n {
			return 0, 0, errOverflow
		}
		numel *= n
		if stride[i] != 0 && n-1 > (math.MaxInt-last)/stride[i] {
			return 0, 0, errOverflow
		}
		last += (n - 1) * stride[i]
	}
	if last == math.MaxInt {
		return 0, 0, errOverflow
	}
	return numel, last + 1, nil
}

// isContiguous reports whether stride is the row-major stride of shape.
// Dimensions of size 1 may carry any stride, as in PyTorch.
func isContiguous(shape, stride []int) bool {
	want := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 && stride[i] != want {
			return false
		}
		want *= shape[i]
	}
	return true
}

// gather copies a strided view into dst in row-major order. The caller has
// checked that every index it touches lies inside src.
func gather(dst, src []float32, offset int, shape, stride []int) {
	idx := make([]int, len(shape))
	pos := offset
	for i := range dst {
		dst[i] = src[pos]
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			pos += stride[d]
			if idx[d] < shape[d] {
				break
			}
			pos -= stride[d] * shape[d]
			idx[d] = 0
		}
	}
}

// decodeStorage reads and converts a storage once, however many tensors
// view it.
func (a *archive) decodeStorage(s *storageRef) error {
	if s.decoded {
		return nil
	}
	size := uint64(s.dtype.Size())
	// The archive was opened from a file of a.size bytes, so a declared
	// count beyond it cannot be real; checking first keeps the product
	// below from overflowing.
	if uint64(s.numel) > uint64(a.size)*maxDeflateRatio/size {
		return fmt.Errorf("storage %q declares %d elements, impossible for a %d-byte file", s.key, s.numel, a.size)
	}
	raw, err := a.readStorage(s, uint64(s.numel)*size)
	if err != nil {
		return err
	}
	s.data = s.dtype.decode(raw)
	s.decoded = true
	return nil
}
