//go:build cgo

package camera

/*
#cgo !windows pkg-config: opencv4
#cgo CXXFLAGS: --std=c++11
void neonetQuietOpenCV(void);
*/
import "C"

import "os"

// The camera libraries write lines of their own to stderr on every failed
// open (each OpenCV video backend tried in turn, GStreamer, FFmpeg): for a
// daemon that retries a missing camera every few seconds they bury the one
// line that says why, which the errors of this package give. They are
// quiet unless asked for with their own variables: OPENCV_LOG_LEVEL (e.g.
// WARNING or DEBUG) and OPENCV_FFMPEG_LOGLEVEL (e.g. 24 for warnings);
// GStreamer's GST_DEBUG works as always.
func init() {
	if _, set := os.LookupEnv("OPENCV_LOG_LEVEL"); !set {
		C.neonetQuietOpenCV()
	}
	if _, set := os.LookupEnv("OPENCV_FFMPEG_LOGLEVEL"); !set {
		os.Setenv("OPENCV_FFMPEG_LOGLEVEL", "-8") // AV_LOG_QUIET; read when OpenCV first opens a file through FFmpeg
	}
}
