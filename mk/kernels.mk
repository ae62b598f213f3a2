.PHONY: mca
mca: deps ## llvm-mca throughput of the arm64 GEMM and depthwise inner loops (Cortex-A53, Cortex-A72, Neoverse-N1)
	scripts/mca.sh
