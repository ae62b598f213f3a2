# make compare: the same models at the same thread counts in PyTorch (fp32,
# int8), ONNX Runtime (fp32) and neonet (fp32, int8), on this machine, in
# one run of scripts/compare/compare.py. Installs what it needs first:
# Debian's PyTorch and Node.js (apt, as root or with sudo) and the
# onnxruntime-node package (npm, into build/compare/ort; its install script
# is skipped: the CPU library ships in the package).

COMPARE_DIR ?= build/compare
COMPARE_RUNS ?= 10
COMPARE_WARMUP ?= 2
COMPARE_REPEAT ?= 3
COMPARE_THREADS ?= 1,2
COMPARE_MODELS ?= squeezenet1_1,efficientnet_b0
ORT_VERSION ?= 1.30.0
# torch.onnx.export in Debian's PyTorch 1.13 writes ONNX itself:
# python3-onnx is not needed.
COMPARE_APT := python3-torch python3-torchvision nodejs npm

.PHONY: compare compare-deps
compare: compare-deps $(BIN) ## time PyTorch, ONNX Runtime and neonet on SqueezeNet 1.1 and EfficientNet-B0 at 1 and 2 threads
	set -o pipefail; $(PYTHON) scripts/compare/compare.py --neonet $(BIN) \
		--ort-modules $(COMPARE_DIR)/ort/node_modules --work $(COMPARE_DIR) \
		--models $(COMPARE_MODELS) --threads $(COMPARE_THREADS) --runs $(COMPARE_RUNS) --warmup $(COMPARE_WARMUP) --repeat $(COMPARE_REPEAT) \
		--json $(COMPARE_DIR)/results.json | tee $(COMPARE_DIR)/results.md

compare-deps:
	@missing=$$(for p in $(COMPARE_APT); do \
		case $$p in nodejs|npm) command -v $$p >/dev/null 2>&1 && continue;; esac; \
		dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
	@mkdir -p $(COMPARE_DIR)/ort
	@if [ "$$(node -p "require('./$(COMPARE_DIR)/ort/node_modules/onnxruntime-node/package.json').version" 2>/dev/null)" != "$(ORT_VERSION)" ]; then \
		cd $(COMPARE_DIR)/ort && { [ -f package.json ] || echo '{"name": "neonet-compare", "private": true}' > package.json; } && \
		npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@$(ORT_VERSION); \
	fi
