// Package checkpoint reads PyTorch state dicts saved with torch.save in the
// zip format used since PyTorch 1.6 (torchvision's .pth downloads and most
// fine-tuned checkpoints).
//
// Such a file is a zip archive holding <prefix>/data.pkl, a pickle of the
// state dict whose tensors refer by key to raw little-endian storages kept
// in <prefix>/data/<key>. Load unpickles data.pkl with
// github.com/nlpodyssey/gopickle, then reads and converts the storages
// itself, so that every size coming from the file is checked against the
// bytes actually present before anything is allocated.
//
// Every tensor is returned as row-major float32 values whatever its stored
// dtype (float32, float16, bfloat16, float64 and the integer and bool
// types); Tensor.DType records the original type so callers can tell, for
// instance, BatchNorm's int64 num_batches_tracked counter from weights.
// Views are honoured: a tensor saved with a storage offset or with
// non-contiguous strides is materialised in row-major order.
//
// Two common wrappings are undone by Load:
//
//   - A training checkpoint whose top level is a dict holding the state dict
//     under "state_dict" or, failing that, "model" (other entries such as
//     "epoch" or "optimizer" are ignored).
//   - Keys saved from a model wrapped in nn.DataParallel carry a leading
//     "module."; when every key has it, it is removed.
//
// Checkpoints are outside input. Load never panics on malformed bytes: it
// validates the archive (including CRCs, so a flipped bit in the weights is
// caught), the pickle's length fields and stack structure, and every
// tensor's shape, strides and storage before use; as a last line of defence
// it turns any panic inside the unpickler into an error. Errors name the file
// and, where one is involved, the tensor key.
//
// Not supported: the legacy pre-1.6 format, TorchScript archives
// (torch.jit.save), big-endian archives, quantized and complex tensors.
package checkpoint
