// Package train teaches an int8 model new classes on the device: it cuts
// the model before its classifier (the backbone), turns labelled photos
// into embeddings with the backbone exactly as the firmware runs it, fits
// a new classifier head on them (softmax regression by L-BFGS, or weight
// imprinting for a few photos per class), quantizes the head and appends
// it to the backbone, giving one ordinary model file.
//
// Photos come as class folders (DIR/<label>/<photo>), the labels being the
// folder names; neonet collect makes them from a camera. Only embeddings
// are kept in memory, one decoded photo per worker at a time, and the
// workers (one compiled backbone each) share the CPUs. docs/training.md
// is the user's guide: the walkthrough from collect to a rule on a pin,
// the embeddings of each backbone, and the measured accuracy and speed.
package train
