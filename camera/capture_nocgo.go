//go:build !cgo

package camera

import "fmt"

// Without cgo there is no OpenCV: devices, pipelines and video files are
// reported as unsupported when parsed, before anything tries to open them.

func newDevice(_ int, path string, _ Options) (Source, error) {
	return nil, fmt.Errorf("camera %s: %w", path, ErrNoCameraSupport)
}

func newPipeline(pipeline string, _ Options) (Source, error) {
	return nil, fmt.Errorf("camera gst:%s: %w", pipeline, ErrNoCameraSupport)
}

func newVideoFile(path string, _ Options) (Source, error) {
	return nil, fmt.Errorf("camera %s: %w", path, ErrNoCameraSupport)
}
