package zootest

import (
	"testing"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/models"
)

// Compile builds m with seeded weights and compiles it with the engine's
// default options, failing t on any error.
func Compile(t testing.TB, m models.Model) (*graph.Graph, *engine.Program) {
	t.Helper()
	g, err := m.Load("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.Compile(g, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g, p
}
