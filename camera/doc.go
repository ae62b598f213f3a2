// Package camera delivers camera frames to the classifier: sources of BGR
// frames (V4L2 webcams, Raspberry Pi CSI cameras through GStreamer, video
// files and image folders read as if they were cameras, and a synthetic
// test pattern), a Grabber that captures on its own goroutine and always
// hands the consumer the newest frame, and a Preprocessor that turns a frame
// into a model's int8 input in one pass.
//
// # Sources
//
// Open parses a SPEC (see Parse) and opens it:
//
//	synthetic[:WxH]     moving bars and gradient, pure Go (default 640x480)
//	0, /dev/video0      a V4L2 device, by index or path
//	gst:PIPELINE        a GStreamer pipeline ending in appsink
//	FILE                a video file (anything OpenCV's FFmpeg backend reads)
//	DIR                 a folder of JPEG/PNG/BMP images, in name order
//
// A FILE or DIR need not exist when it is parsed: which of the two it is
// is decided each time it is opened.
//
// Devices, pipelines and video files go through gocv (OpenCV's VideoCapture)
// and need cgo; every gocv call is in a file built only with cgo. Built with
// CGO_ENABLED=0, those specs fail with ErrNoCameraSupport while synthetic
// and folder sources keep working, so the rest of neonet (and its tests)
// builds and runs without OpenCV.
//
// # Latest frame, not every frame
//
// A classifier slower than the camera must not fall behind it: frames
// queued while it works are stale by the time it reads them. The Grabber
// therefore keeps only the newest complete frame. Capture runs into a
// fixed set of three buffers (one being filled, one ready, one held by the
// consumer) that are swapped, never copied or reallocated; a ready frame
// replaced before anyone took it is counted as dropped. Sources that fail
// (unplugged, busy, a camera file removed) are closed, reported and
// reopened with bounded exponential backoff; a frame that cannot be read
// (a corrupt image in a folder) is skipped and reported; the end of a file
// or folder that does not loop ends capture. Stats show a call into the
// source that has not returned, so that a stalled driver can be told from
// a slow camera. The camera libraries' own messages on stderr are off
// unless asked for (OPENCV_LOG_LEVEL, OPENCV_FFMPEG_LOGLEVEL).
//
// # Fused int8 preprocessing
//
// Preprocessor.Run computes, straight from the BGR frame, exactly what
// preprocess.Spec.Tensor followed by quant.Params.Quantize computes from the
// same picture: Pillow's separable resize with its fixed-point coefficient
// tables, torchvision's centre crop (only cropped pixels are resampled),
// BGR to RGB, normalisation and rounding to int8, the last three folded
// into one 256-entry table per channel. It allocates nothing per frame.
package camera
