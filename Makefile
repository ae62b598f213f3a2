# neonet: build, test and run everything from a fresh Debian 12 machine.
# `make test` and `make run` install what they need first (Debian packages
# as root, Go modules through the module proxy).

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
GO ?= go
PYTHON ?= /usr/bin/python3
DATA ?= $(abspath ../shared/data)
GOLDEN ?= testdata/golden
BIN := bin/neonet

# Debian packages the tests need: PyTorch for golden outputs; mosquitto and
# chromium for the MQTT client's and the web page's tests.
APT_PACKAGES := python3-torch python3-torchvision python3-pil python3-numpy \
	qemu-user-static llvm-16 binutils-aarch64-linux-gnu libopencv-dev gstreamer1.0-plugins-base \
	debootstrap gcc-aarch64-linux-gnu g++-aarch64-linux-gnu pkg-config mtools dosfstools fdisk e2fsprogs \
	xz-utils openssh-client openssh-server shellcheck systemd mosquitto chromium

# The packages whose arm64 code runs under qemu in `make test-arm64`.
ARM64_PKGS ?= ./kernels/... ./qnet/... ./internal/workers/...
QEMU ?= qemu-aarch64-static
ARM64_ENV = NEONET_REQUIRE_DATA=1 NEONET_DATA=$(DATA)

.PHONY: all build deps golden golden-int8 test test-arm64 test-short soak run classify-samples eval eval-int8 lint duplicates fuzz clean help

all: build

# Further targets live in mk/*.mk, one file per area.
-include $(wildcard mk/*.mk)

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

build: ## build bin/neonet
	$(GO) build -o $(BIN) ./cmd/neonet

$(BIN): $(shell find . -name '*.go' -not -path './testdata/*' 2>/dev/null) go.mod
	$(GO) build -o $(BIN) ./cmd/neonet

deps: ## install Debian packages and Go modules the tests need
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	$(GO) mod download
	@$(MAKE) --no-print-directory $(STATICCHECK)

golden: deps ## make PyTorch's reference outputs in testdata/golden (incremental)
	$(PYTHON) scripts/golden/make_golden.py --data-dir $(DATA) $(GOLDEN)
	$(PYTHON) scripts/golden/reference_eval.py --data-dir $(DATA) $(GOLDEN)
	$(PYTHON) scripts/golden/train_reference.py --data-dir $(DATA) $(GOLDEN)
	$(MAKE) --no-print-directory golden-int8

# Int8 models and their amd64 reference runs, for the arm64 whole-model tests.
INT8_GOLDEN := $(GOLDEN)/int8
golden-int8: $(INT8_GOLDEN)/squeezenet1_1.ref $(INT8_GOLDEN)/shiftresnet20.ref $(INT8_GOLDEN)/efficientnet_b0.ref \
	$(INT8_GOLDEN)/shiftnet_a.ref $(INT8_GOLDEN)/tf_efficientnet_b0.ref

$(INT8_GOLDEN)/squeezenet1_1.ref: $(BIN)
	@mkdir -p $(INT8_GOLDEN)
	$(BIN) quantize --model squeezenet1_1 --weights $(DATA)/weights/squeezenet1_1_imagenet.pth \
		--calib $(DATA)/images/imagenet-dev --calib-images 16 --out $(INT8_GOLDEN)/squeezenet1_1.neonet
	$(GO) run ./internal/cmd/int8ref --image $(DATA)/images/samples/cat.bmp $(INT8_GOLDEN)/squeezenet1_1.neonet

$(INT8_GOLDEN)/shiftresnet20.ref: $(BIN)
	@mkdir -p $(INT8_GOLDEN)
	$(BIN) quantize --model shiftresnet20 --weights $(DATA)/weights/shiftresnet20_cifar10 \
		--calib $(DATA)/images/cifar10-dev --calib-images 64 --out $(INT8_GOLDEN)/shiftresnet20.neonet
	$(GO) run ./internal/cmd/int8ref --image $$(ls $(DATA)/images/cifar10-dev/cat/* | head -1) $(INT8_GOLDEN)/shiftresnet20.neonet

$(INT8_GOLDEN)/efficientnet_b0.ref: $(BIN)
	@mkdir -p $(INT8_GOLDEN)
	$(BIN) quantize --model efficientnet_b0 --weights $(GOLDEN)/efficientnet_b0.pth \
		--calib $(DATA)/images/imagenet-dev --calib-images 8 --out $(INT8_GOLDEN)/efficientnet_b0.neonet
	$(GO) run ./internal/cmd/int8ref --image $(DATA)/images/samples/cat.bmp $(INT8_GOLDEN)/efficientnet_b0.neonet

# ShiftNet-A has no trained weights: PyTorch's seeded ones (make_golden.py).
$(INT8_GOLDEN)/shiftnet_a.ref: $(BIN)
	@mkdir -p $(INT8_GOLDEN)
	$(BIN) quantize --model shiftnet_a --weights $(GOLDEN)/shiftnet_a.pth \
		--calib $(DATA)/images/imagenet-dev --calib-images 4 --out $(INT8_GOLDEN)/shiftnet_a.neonet
	$(GO) run ./internal/cmd/int8ref --image $(DATA)/images/samples/cat.bmp $(INT8_GOLDEN)/shiftnet_a.neonet

# TensorFlow's SAME padding (asymmetric) on the real TF Hub weights.
$(INT8_GOLDEN)/tf_efficientnet_b0.ref: $(BIN)
	@mkdir -p $(INT8_GOLDEN)
	$(BIN) quantize --model tf_efficientnet_b0 --weights $(DATA)/weights/efficientnet_b0_tfhub.pth \
		--calib $(DATA)/images/imagenet-dev --calib-images 8 --out $(INT8_GOLDEN)/tf_efficientnet_b0.neonet
	$(GO) run ./internal/cmd/int8ref --image $(DATA)/images/samples/cat.bmp $(INT8_GOLDEN)/tf_efficientnet_b0.neonet

# The golden files (CPU) and the board sysroots (mostly download) are made
# side by side; each one's output is printed when it is done.
test: deps ## run every test, with PyTorch's golden outputs
	$(MAKE) --no-print-directory -j2 --output-sync=target golden sysroots
	$(MAKE) --no-print-directory lint
	CGO_ENABLED=0 $(GO) build ./...
	NEONET_REQUIRE_DATA=1 NEONET_DATA=$(DATA) $(GO) test -timeout 60m ./...
	$(MAKE) --no-print-directory test-arm64
	$(MAKE) --no-print-directory test-armv7
	$(MAKE) --no-print-directory test-flash

# The purego run checks the Go twins of the kernels, every one of which the
# kernel tests cover at every edge shape, and the whole models byte for byte;
# how a model's rows are split between threads does not depend on the path,
# and the two runs before it check that, so it is skipped there (4 minutes
# under qemu).
PUREGO_SKIP := TestThreadsGiveTheSameBytesAndAllocateNothing

test-arm64: ## arm64 build under qemu: Cortex-A72 (NEON), Cortex-A76 (dot product), and purego
	GOARCH=arm64 $(GO) vet ./...
	GOARCH=arm64 $(ARM64_ENV) $(GO) test -timeout 30m -exec '$(QEMU) -cpu cortex-a72' $(ARM64_PKGS)
	GOARCH=arm64 $(ARM64_ENV) $(GO) test -timeout 30m -exec '$(QEMU) -cpu cortex-a76' $(ARM64_PKGS)
	GOARCH=arm64 $(ARM64_ENV) $(GO) test -timeout 30m -tags purego -skip '$(PUREGO_SKIP)' -exec '$(QEMU) -cpu cortex-a76' $(ARM64_PKGS)

SOAK ?= 30m
soak: ## the daemon at full speed on a sample video for SOAK (30m): heap, goroutines and records must hold
	NEONET_REQUIRE_DATA=1 NEONET_DATA=$(DATA) NEONET_SOAK=$(SOAK) $(GO) test -count=1 -timeout 0 -run '^TestRunSoak$$' -v ./cmd/neonet

test-short: ## run the tests that need neither PyTorch nor the shared data
	$(GO) test ./...

# The int8 model make run uses: SqueezeNet 1.1's real ImageNet weights,
# calibrated on 32 photos of imagenet-dev.
DEMO_MODEL := build/squeezenet1_1.neonet
RUN_FOR ?= 60s

$(DEMO_MODEL): | $(BIN)
	@mkdir -p build
	$(BIN) quantize --model squeezenet1_1 --weights $(DATA)/weights/squeezenet1_1_imagenet.pth \
		--calib $(DATA)/images/imagenet-dev --calib-images 32 --out $@

# make run's configuration: deploy/demo.toml with a token (made once, kept
# private in build/) and a folder for the teach panel's photos.
DEMO_CONFIG := build/demo.toml
DEMO_TOKEN := build/demo.token

$(DEMO_TOKEN):
	@mkdir -p build
	@umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > $@ && echo >> $@

$(DEMO_CONFIG): deploy/demo.toml
	@mkdir -p build
	@{ cat deploy/demo.toml; printf 'token_file = "%s"\nteach_dir = "build/classes"\n' $(DEMO_TOKEN); } > $@

run: deps build $(DEMO_MODEL) $(DEMO_CONFIG) $(DEMO_TOKEN) ## run the firmware here: SqueezeNet 1.1 int8, a sample video as camera, simulated pins (RUN_FOR=60s)
	@echo "the page with its teach panel: http://127.0.0.1:8080/?token=$$(cat $(DEMO_TOKEN))"
	$(BIN) run --config $(DEMO_CONFIG) --model $(DEMO_MODEL) --camera $(DATA)/videos/Megamind.avi --for $(RUN_FOR)

classify-samples: deps build ## classify the sample photos with the real SqueezeNet 1.1 weights (fp32)
	$(BIN) classify --model squeezenet1_1 --weights $(DATA)/weights/squeezenet1_1_imagenet.pth --top 3 \
		$$(ls $(DATA)/images/samples/*.{jpg,bmp})

eval: build ## accuracy of the real weights on the shared evaluation images
	$(BIN) eval --model squeezenet1_1 --weights $(DATA)/weights/squeezenet1_1_imagenet.pth --data $(DATA)/images/imagenet-dev
	$(BIN) eval --model shiftresnet20 --weights $(DATA)/weights/shiftresnet20_cifar10 --data $(DATA)/images/cifar10-dev

eval-int8: build ## int8 against fp32 on the shared photos: accuracy, agreement, per-layer SQNR charts in build/
	mkdir -p build
	$(BIN) eval --model squeezenet1_1 --weights $(DATA)/weights/squeezenet1_1_imagenet.pth --data $(DATA)/images/imagenet-dev \
		--compare --calib $(DATA)/images/imagenet-dev --plot build/squeezenet1_1_sqnr.png
	$(BIN) eval --model shiftresnet20 --weights $(DATA)/weights/shiftresnet20_cifar10 --data $(DATA)/images/cifar10-dev \
		--compare --calib $(DATA)/images/cifar10-dev --calib-images 200 --plot build/shiftresnet20_sqnr.png
	$(BIN) eval --model efficientnet_b0 --weights $(DATA)/weights/efficientnet_b0_tfhub.pth --data $(DATA)/images/imagenet-dev \
		--compare --calib $(DATA)/images/imagenet-dev --plot build/efficientnet_b0_sqnr.png

# staticcheck, pinned; installed into the Go bin folder by `make deps`.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# staticcheck runs once per build configuration (amd64, arm64, each with and
# without purego, and 32-bit arm) and -merge reports what holds in all of them, so an
# assembly function's Go twin, used only where the assembly is not built,
# is not called unused.
lint: $(STATICCHECK) ## gofmt, go vet (amd64, arm64 and 32-bit arm), go mod tidy -diff, staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOARCH=arm64 $(GO) vet ./...
	GOARCH=arm GOARM=7 $(GO) vet ./...
	$(GO) mod tidy -diff
	@t=$$(mktemp -d) && trap 'rm -rf $$t' EXIT && \
	for cfg in amd64: arm64: amd64:purego arm64:purego arm:; do \
		GOARCH=$${cfg%%:*} $(STATICCHECK) -tags "$${cfg#*:}" -f binary ./... > $$t/$${cfg/:/-}.bin || exit 1; \
	done && $(STATICCHECK) -merge $$t/*.bin && echo "lint: clean"

duplicates: ## the repeated code of the tree, Go import blocks passed over (scripts/duplicates.sh; docs/architecture.md)
	scripts/duplicates.sh --most 100 --seconds 120

fuzz: ## fuzz the parsers of outside input for a minute each
	$(GO) test ./checkpoint -run '^$$' -fuzz FuzzLoad -fuzztime 60s
	$(GO) test ./preprocess -run '^$$' -fuzz FuzzDecode -fuzztime 60s
	$(GO) test ./modelfile -run "^$$" -fuzz FuzzRead -fuzztime 60s -fuzzminimizetime 2s
	$(GO) test ./modelfile -run "^$$" -fuzz FuzzGraph -fuzztime 60s -fuzzminimizetime 2s
	$(GO) test ./firmware -run '^$$' -fuzz FuzzParseConfig -fuzztime 60s -fuzzminimizetime 2s

clean: ## remove build outputs (keeps golden data and the sysroots in build/)
	rm -rf bin dist
