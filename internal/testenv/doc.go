// Package testenv locates the data that neonet's tests read from outside
// the repository: the shared data folder (real weights, photos, videos) and
// the golden outputs PyTorch produces (make golden); and it writes the
// temporary files tests hand to neonet.
//
// When NEONET_REQUIRE_DATA=1, as `make test` and CI set it, missing data
// fails the test instead of skipping it, so a run that proves nothing
// cannot pass unnoticed.
package testenv
