# Cross-building for the board, SD images and deployment (docs/flash.md).

SYSROOT ?= build/sysroot-bookworm-arm64
DIST ?= dist
FIRMWARE := $(DIST)/neonet-linux-arm64
# For `make flash-image`: a Raspberry Pi OS Lite image, and where to write the result.
PIOS_IMAGE ?=
FLASH_OUT ?= $(DIST)/neonet-raspios.img
FLASH_ARGS ?=

.PHONY: sysroot firmware flash-image test-flash test-flash-quick lint-flash

sysroot: ## make (or reuse) the Debian arm64 sysroot with OpenCV in build/
	scripts/sysroot.sh --out $(SYSROOT)

firmware: sysroot ## cross-build dist/neonet-linux-arm64 (cgo + OpenCV) and its libraries in dist/lib
	GO=$(GO) scripts/flash-build.sh --sysroot $(SYSROOT) --out $(DIST)

flash-image: firmware ## PIOS_IMAGE=raspios.img.xz: an SD image with neonet in dist/neonet-raspios.img
	@[ -n "$(PIOS_IMAGE)" ] || { echo "flash-image: set PIOS_IMAGE=path/to/raspios-bookworm-arm64-lite.img.xz"; exit 2; }
	scripts/flash.sh --image $(PIOS_IMAGE) --out $(FLASH_OUT) --binary $(FIRMWARE) --lib-dir $(DIST)/lib $(FLASH_ARGS)

test-flash: firmware ## flash/sysroot script tests, and the cross-built binary under qemu (A72, A76)
	GO=$(GO) DATA=$(DATA) scripts/test/flash_test.sh --qemu --sysroot $(SYSROOT) --dist $(DIST)

test-flash-quick: ## the flash script tests without cross-building
	scripts/test/flash_test.sh

lint-flash: ## shellcheck the flash and sysroot scripts
	shellcheck scripts/flash.sh scripts/flash-*.sh scripts/sysroot.sh scripts/test/flash_test.sh
