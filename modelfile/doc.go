// Package modelfile reads and writes neonet's compiled model file: the one
// file the firmware loads. It holds a complete qnet.Model — the int8 graph,
// packed weights, quantization parameters, class labels and the input
// preprocessing — and describes itself, so a file can be inspected and
// checked without the code that produced it.
//
// # Layout
//
// All integers are little-endian. A file is a fixed 64-byte header, a
// metadata section (JSON) and a data section (raw arrays):
//
//	offset  size  field
//	     0     8  magic "NEONETM\x00"
//	     8     4  u32 format version (1)
//	    12     4  u32 CRC-32C (Castagnoli) of bytes [16, file size)
//	    16     4  u32 flags (none are defined in version 1; must be 0)
//	    20     4  u32 header size (64)
//	    24     8  u64 file size in bytes
//	    32     8  u64 metadata offset (64)
//	    40     8  u64 metadata length
//	    48     8  u64 data offset (a multiple of 64, after the metadata)
//	    56     8  u64 data length (data offset + data length = file size)
//	    64     -  metadata: UTF-8 JSON, zero padding to the data offset
//	     -     -  data: arrays, each at a multiple of 64 from the file start
//
// The checksum sits before everything it covers, so it covers the rest of
// the header too: every byte of a file is either checked for an exact
// value (magic, version, the checksum itself) or covered by the checksum.
// The version comes first after the magic because a later version may
// change everything after it.
//
// # Metadata
//
// The metadata is a JSON object describing the graph; it never holds a
// large array, only references to the data section:
//
//	{"offset": 128, "length": 432, "dtype": "int8"}
//
// offset is in bytes from the start of the data section and a multiple of
// 64 (so, the data offset being one too, of 64 from the file start);
// length counts elements; dtype is "int8", "int32" or "float32". Its
// fields:
//
//	name, calibration   the model name and how its ranges were chosen
//	input, output       tensor indices
//	labels              class names, one per output channel (or none);
//	                    a name may repeat (ImageNet has two "crane" and
//	                    two "maillot" classes): RepeatedLabels lists them
//	                    and neonet inspect shows them
//	preprocess          resize, crop_h, crop_w, filter ("bilinear",
//	                    "bicubic", "nearest"), mean, std, and three fixed
//	                    strings a reader checks: color_order "RGB",
//	                    layout "NHWC", normalize "(x/255-mean)/std"
//	tensors             name, shape [N,H,W,C], scale, zero
//	nodes               name, op, inputs, output and the op's fields:
//	  conv2d            out, act, conv {kh, kw, stride_h, stride_w, pad_h,
//	                    pad_w, dil_h, dil_w, groups}, weights (int8,
//	                    [KH][KW][Cin/groups][Out]), weight_scales
//	                    (float32, per output channel), bias (int32)
//	  linear            out, act, weights (int8, [Out][In]),
//	                    weight_scales, bias
//	  table             fn (the function it tabulates), table (256 int8,
//	                    entry q+128 for input q)
//	  add               act
//	  maxpool, avgpool  pool {kh, kw, stride_h, stride_w, pad_h, pad_w,
//	                    ceil_mode, count_include_pad}
//	  shift             offsets (int32, a (dy, dx) pair per channel)
//	  mul, globalavgpool, concat, flatten, requant: nothing more
//
// Activations are named ("none", "relu", "relu6", "silu", "sigmoid");
// the fused act of conv2d, linear and add is a clamp, so only the first
// three are allowed there. Names rather than enum numbers keep a file
// meaningful if the Go constants are ever reordered.
//
// # Data
//
// Arrays are stored in host order of every machine neonet runs on
// (little-endian) and aligned to 64 bytes, a cache line, so Read can hand
// out int8, int32 and float32 slices that point straight into the file's
// bytes. A model returned by Read therefore aliases its input: the caller
// must not modify the bytes afterwards. When a buffer is not suitably
// aligned, or the host is big-endian, the arrays are copied instead.
//
// # Checksum
//
// CRC-32C rather than SHA-256: the threat is an SD card flipping bits, a
// truncated copy or a torn write, not an attacker (authenticity would need
// a signature, a separate feature). CRC-32C detects every burst error of
// up to 32 bits and other damage with probability 1-2^-32, and Go computes
// it with the CRC32 instructions of ARMv8 (which the Raspberry Pi 3, 4 and
// 5 have) and of SSE4.2, at gigabytes per second, so checking a file on
// every load costs about a millisecond per few megabytes. SHA-256 has no
// hardware help on a Pi 4 (no crypto extensions) and is more than ten
// times slower there, for protection the firmware does not need.
//
// # Reading
//
// Read checks, in order: magic, version (a newer file asks for a newer
// neonet), sizes (a truncated file says how many bytes are missing),
// checksum, then the metadata strictly as the format: unknown fields and
// ops, fields missing from an op or not belonging to it, names that are
// not activations or filters, array references out of bounds or of the
// wrong type or length. What the values mean is checked by
// qnet.Model.Validate, the one validation of a model, which Read and
// Write both call: finite positive scales, geometry and sizes within the
// limits that keep later arithmetic from overflowing (even with 32-bit
// int), every op's arrays fitting its tensors. A model that Read returns
// can be compiled and run without out-of-bounds access. Every allocation
// is bounded by the size of the input, and no input makes Read panic.
//
// A node's op fields are those its qnet op declares (qnet.Op.Fields,
// through the qnet.Fields vocabulary) under the names listed above; this
// package stores and reads them without knowing any op.
package modelfile
