// Package preprocess turns image files into the float32 input tensors of
// neonet's classifiers, reproducing what a PyTorch model saw at training and
// evaluation time: PIL decoding (python3-pil with libjpeg-turbo) followed by
// torchvision's
//
//	Resize(S) -> CenterCrop(H, W) -> ToTensor() -> Normalize(mean, std)
//
// The goal is agreement with PyTorch's predictions, so each step follows the
// reference implementation's arithmetic rather than a generic image library:
//
//   - Decode reads JPEG (via image/jpeg), PNG (image/png) and BMP
//     (golang.org/x/image/bmp). ToRGB8 converts to packed RGB; JPEG chroma is upsampled
//     with libjpeg's "fancy" triangle filter and converted with libjpeg's
//     fixed-point YCbCr equations (ycbcr.go), instead of Go's nearest-sample
//     chroma and rounding.
//   - Resize reproduces Pillow's antialiased separable resampling, including
//     its 22-bit fixed-point weights (NewCoeffs, coeffs.go; the filters in
//     filter.go) and per-pass rounding (resize.go). The camera package's
//     fused int8 preprocessing resamples with the same NewCoeffs weights,
//     CenterCrop and NormTable, so both paths agree to the bit.
//   - Spec.Tensor applies the resize, torchvision's center crop (with its
//     round-half-even offsets and zero padding) and the normalisation, with
//     each float operation rounded to float32 as PyTorch does, writing NHWC.
//
// # Agreement with PIL and torchvision
//
// Resize is bit-exact with Pillow 9.4: 0 differing bytes on the test
// references (bilinear, bicubic, nearest; shrinking, enlarging, one axis
// only) and on all 600 bilinear and bicubic resizes of the 300 ImageNet
// validation JPEGs of the dev set to 256 pixels on the short side.
// PNG and BMP decoding is exact, and so is JPEG decoding whenever the IDCT
// is exact (flat 8x8 blocks, tested for 4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1),
// which pins upsampling and colour conversion to libjpeg-turbo's. Given
// identical pixels, Spec.Tensor equals torchvision's output exactly.
//
// The remaining JPEG difference is the IDCT: Go's image/jpeg rounds its
// integer IDCT differently from libjpeg's "islow" one. Over the 300 dev-set
// JPEGs (223 4:4:4, 67 4:2:0, 4 4:2:2, 6 grayscale; 182M channel values)
// 2.6% of values differ from PIL's, by at most 3 levels, mean absolute
// difference 0.031 levels (Go's stock conversion: 26% differ, max 57, mean
// 0.35). Through ImageNet(256, 224, Bilinear) this gives tensors within
// 0.052 (max) and 5.4e-4 (mean) of torchvision's.
package preprocess
