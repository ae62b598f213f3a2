//go:build cgo

// OpenCV's log level is read from OPENCV_LOG_LEVEL when the library is
// loaded, before any Go code runs: it is lowered here instead (see
// quiet_cgo.go).

#include <opencv2/core/utils/logger.hpp>

extern "C" void neonetQuietOpenCV(void) {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
}
