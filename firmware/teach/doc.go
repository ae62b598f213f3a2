// Package teach is the running daemon's side of teaching it new classes,
// behind the web page's teach panel: a folder of class folders
// (DIR/<label>/000001.jpg, as neonet collect saves them) that frames the
// model saw are saved into, and trainings on it that end in the daemon
// running the new model.
//
// A Teacher runs one training at a time on goroutines of its own (package
// train, one worker per CPU core but one, so that the frame loop keeps a
// core), with the running model file as the backbone: a model made by an
// earlier training is cut before its head and trained again. The new
// model is written next to the backbone (model.new.neonet beside
// model.neonet) and handed to an Installer, which makes it the daemon's
// model as a reload would (firmware.Daemon.Install): the same checks, and
// the old model keeps running if it is refused. Progress and the result
// (per-class counts, accuracies, the error) are in Status, which changes
// Version.
package teach
