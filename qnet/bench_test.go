package qnet_test

import (
	"fmt"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/qnet"
)

// BenchmarkModels times one int8 inference of each golden model on every
// kernel path this CPU supports, at 1 and 2 threads, and reports the
// achieved GMAC/s:
//
//	go test ./qnet -run XXX -bench Models -benchtime 50x
//
// `neonet bench` is the user-facing version (min/median/max, per-layer
// profile); this one is for comparing commits with benchstat.
func BenchmarkModels(b *testing.B) {
	for _, name := range wholeModels {
		m, in, _ := loadWhole(b, name)
		var macs int64
		for i := range m.Nodes {
			macs += qnet.NodeMACs(m, &m.Nodes[i])
		}
		for _, path := range dispatch.Paths() {
			if !dispatch.Supported(path) {
				continue
			}
			for _, threads := range []int{1, 2} {
				if path == dispatch.Ref && threads > 1 {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/threads=%d", name, path, threads), func(b *testing.B) {
					p, err := qnet.CompileWith(m, qnet.Options{Kernels: path, Threads: threads})
					if err != nil {
						b.Fatal(err)
					}
					defer p.Close()
					copy(p.Input().Data, in)
					p.Run()
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						p.Run()
					}
					b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}
