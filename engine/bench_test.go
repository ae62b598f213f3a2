package engine_test

import (
	"testing"

	"neonet.dev/neonet/internal/zootest"
	"neonet.dev/neonet/models"
)

// BenchmarkZooFP32 times one fp32 inference of each model of the zoo
// (seeded weights; latency does not depend on them) on the reference
// engine, which is single-threaded:
//
//	go test ./engine -run XXX -bench ZooFP32 -benchtime 3x
//
// The int8 models are timed by qnet's BenchmarkModels.
func BenchmarkZooFP32(b *testing.B) {
	for _, m := range models.All() {
		b.Run(m.Name, func(b *testing.B) {
			g, p := zootest.Compile(b, m)
			for i := range p.Input().Data {
				p.Input().Data[i] = float32(i%255)/255 - 0.5
			}
			p.Run()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p.Run()
			}
			b.ReportMetric(float64(g.MACs())*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
		})
	}
}
