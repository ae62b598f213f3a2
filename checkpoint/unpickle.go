package checkpoint

import (
	"fmt"
	"io"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// We drive gopickle's generic unpickler ourselves rather than calling
// gopickle/pytorch.Load: that loader reads every storage eagerly, allocating
// whatever element count the pickle claims before reading a byte, and does
// not check for short reads. Here unpickling only records what the pickle
// says (storageRef, rawTensor); buildStateDict validates it against the
// archive afterwards.

// storageRef is a storage named by the pickle, not yet read.
type storageRef struct {
	key     string
	class   string // torch class name, e.g. "FloatStorage"
	dtype   DType  // invalid if class is not one we convert
	numel   int
	data    []float32 // decoded on first use
	decoded bool
}

// rawTensor is the result of torch._utils._rebuild_tensor_v2.
type rawTensor struct {
	storage *storageRef
	offset  int
	shape   []int
	stride  []int
}

// storageClass stands for torch.<Name>Storage in the pickle.
type storageClass struct{ name string }

// opaque stands for any other class or function. Training checkpoints hold
// all sorts of objects (numpy scalars, argparse namespaces, optimizer
// state) next to the state dict; they must unpickle, and are only an error
// if found where a tensor is expected.
type opaque struct{ module, name string }

type opaqueObject struct{ class *opaque }

func (o *opaque) Call(...any) (any, error)       { return &opaqueObject{o}, nil }
func (o *opaque) PyNew(...any) (any, error)      { return &opaqueObject{o}, nil }
func (o *opaqueObject) PySetState(any) error     { return nil }
func (o *opaqueObject) PyDictSet(_, _ any) error { return nil }

// rebuildTensor implements torch._utils._rebuild_tensor_v2.
type rebuildTensor struct{}

// rebuildParameter implements torch._utils._rebuild_parameter, which wraps
// a tensor saved as an nn.Parameter (state_dict(keep_vars=True)).
type rebuildParameter struct{}

func newUnpickler(r io.Reader, storages map[string]*storageRef) *pickle.Unpickler {
	u := pickle.NewUnpickler(r)
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) { return persistentLoad(id, storages) }
	return &u
}

func findClass(module, name string) (any, error) {
	switch {
	case module == "torch._utils" && name == "_rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case module == "torch._utils" && name == "_rebuild_parameter":
		return rebuildParameter{}, nil
	case module == "torch" && strings.HasSuffix(name, "Storage"):
		return &storageClass{name}, nil
	}
	return &opaque{module, name}, nil
}

// persistentLoad resolves the pickle's persistent ids, which torch.save
// writes as ('storage', class, key, location, numel).
func persistentLoad(id any, storages map[string]*storageRef) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() != 5 {
		return nil, fmt.Errorf("persistent id: expected a 5-tuple ('storage', class, key, location, numel), got %s", describe(id))
	}
	kind, _ := t.Get(0).(string)
	class, classOK := t.Get(1).(*storageClass)
	key, keyOK := t.Get(2).(string)
	numel, numelOK := t.Get(4).(int)
	switch {
	case kind != "storage":
		return nil, fmt.Errorf("persistent id: expected kind 'storage', got %s", describe(t.Get(0)))
	case !classOK:
		return nil, fmt.Errorf("persistent id: expected a torch storage class, got %s", describe(t.Get(1)))
	case !keyOK || key == "" || strings.ContainsAny(key, "/\\"):
		return nil, fmt.Errorf("persistent id: bad storage key %s", describe(t.Get(2)))
	case !numelOK || numel < 0:
		return nil, fmt.Errorf("persistent id: storage %q: bad element count %s", key, describe(t.Get(4)))
	}
	// Tensors sharing a storage (views) name the same key; it must mean the
	// same thing each time.
	if s, ok := storages[key]; ok {
		if s.class != class.name || s.numel != numel {
			return nil, fmt.Errorf("persistent id: storage %q declared twice, as %s[%d] and %s[%d]",
				key, s.class, s.numel, class.name, numel)
		}
		return s, nil
	}
	s := &storageRef{key: key, class: class.name, dtype: dtypeOfStorage(class.name), numel: numel}
	storages[key] = s
	return s, nil
}

func (rebuildTensor) Call(args ...any) (any, error) {
	// (storage, offset, size, stride, requires_grad, backward_hooks) and,
	// from some PyTorch versions on, a trailing metadata dict.
	if len(args) != 6 && len(args) != 7 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: expected 6 or 7 arguments, got %d", len(args))
	}
	s, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: expected a storage, got %s", describe(args[0]))
	}
	offset, ok := args[1].(int)
	if !ok || offset < 0 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: bad storage offset %s", describe(args[1]))
	}
	shape, err := intTuple(args[2], "size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(args[3], "stride")
	if err != nil {
		return nil, err
	}
	return &rawTensor{storage: s, offset: offset, shape: shape, stride: stride}, nil
}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_rebuild_parameter: no arguments")
	}
	t, ok := args[0].(*rawTensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter: expected a tensor, got %s", describe(args[0]))
	}
	return t, nil
}

func intTuple(v any, what string) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %s: expected a tuple of ints, got %s", what, describe(v))
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok || n < 0 {
			return nil, fmt.Errorf("_rebuild_tensor_v2: %s[%d]: expected a non-negative int, got %s", what, i, describe(t.Get(i)))
		}
		out[i] = n
	}
	return out, nil
}

// describe names a decoded pickle value for error messages without dumping
// it (values can be large or cyclic).
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("str %q", v)
	case int:
		return fmt.Sprintf("int %d", v)
	case bool:
		return fmt.Sprintf("bool %v", v)
	case float64:
		return fmt.Sprintf("float %v", v)
	case *rawTensor:
		return "a tensor"
	case *storageRef:
		return "a storage"
	case *storageClass:
		return "class torch." + v.name
	case *opaque:
		return "class " + v.module + "." + v.name
	case *opaqueObject:
		return "object of class " + v.class.module + "." + v.class.name
	case *types.Tuple:
		return fmt.Sprintf("tuple of %d", v.Len())
	case *types.List:
		return fmt.Sprintf("list of %d", len(*v))
	case *types.Dict:
		return fmt.Sprintf("dict of %d", v.Len())
	case *types.OrderedDict:
		return fmt.Sprintf("OrderedDict of %d", v.Len())
	}
	return fmt.Sprintf("value of Go type %T", v)
}
