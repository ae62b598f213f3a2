# 32-bit arm (GOARCH=arm GOARM=7: 32-bit Raspberry Pi OS on a Pi 2, 3, 4,
# 5 or Zero 2) under qemu-arm-static. There is no assembly for it: the
# reference kernels and the Go twins of the NEON and AVX2 paths run, with
# int 32 bits wide. The whole int8 models must give the amd64 reference's
# bytes (testdata/golden/int8), and the parsers of outside input must hold
# their bounds. The threads-and-allocation test is the same Go code on every
# architecture and takes a quarter of an hour on the Go twins under qemu:
# amd64 and arm64 run it.
ARMV7_PKGS ?= ./kernels/... ./qnet/... ./internal/workers/... ./checkpoint/... ./modelfile/... ./preprocess/...
ARMV7_SKIP ?= TestThreadsGiveTheSameBytesAndAllocateNothing
QEMU_ARM ?= qemu-arm-static

.PHONY: test-armv7
test-armv7: ## 32-bit arm build (GOARM=7) under qemu-arm -cpu cortex-a7: kernels, executor, whole models, parsers
	GOARCH=arm GOARM=7 $(GO) vet ./...
	GOARCH=arm GOARM=7 $(ARM64_ENV) $(GO) test -timeout 30m -skip '$(ARMV7_SKIP)' -exec '$(QEMU_ARM) -cpu cortex-a7' $(ARMV7_PKGS)
