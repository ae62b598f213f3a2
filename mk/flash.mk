# Cross-building for the board, SD images and deployment (docs/flash.md).

# The board's userland: arm64 (64-bit Raspberry Pi OS, the default) or armv7
# (32-bit Raspberry Pi OS, Debian armhf, GOARM=7). Only the command line
# sets it (`make firmware ARCH=armv7`), never the environment.
ARCH := arm64
ifeq ($(ARCH),armv7)
DEB_ARCH := armhf
FIRMWARE_DIR = $(DIST)/armv7
else
DEB_ARCH := arm64
FIRMWARE_DIR = $(DIST)
endif
SYSROOT ?= build/sysroot-bookworm-$(DEB_ARCH)
DIST ?= dist
FIRMWARE = $(FIRMWARE_DIR)/neonet-linux-$(ARCH)
# For `make flash-image`: a Raspberry Pi OS Lite image, and where to write the result.
PIOS_IMAGE ?=
FLASH_OUT ?= $(DIST)/neonet-raspios.img
FLASH_ARGS ?=
# The cross compilers and binutils of both architectures, for `make deps`.
APT_PACKAGES += gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf binutils-arm-linux-gnueabihf

.PHONY: sysroot sysroots firmware firmware-all flash-image test-flash test-flash-quick lint-flash check-arch

check-arch:
	@case "$(ARCH)" in arm64 | armv7) ;; *) echo "ARCH=$(ARCH): expected arm64 or armv7"; exit 2 ;; esac

sysroot: check-arch ## make (or reuse) the Debian sysroot with OpenCV in build/ (ARCH=armv7: armhf)
	scripts/sysroot.sh --arch $(DEB_ARCH) --out $(SYSROOT)

sysroots: ## both sysroots (arm64 and armhf), made or reused; make test builds them while PyTorch writes the golden files
	$(MAKE) --no-print-directory sysroot ARCH=arm64
	$(MAKE) --no-print-directory sysroot ARCH=armv7

firmware: sysroot ## cross-build dist/neonet-linux-arm64 (cgo + OpenCV) and its libraries in dist/lib (ARCH=armv7: dist/armv7/)
	GO=$(GO) scripts/flash-build.sh --arch $(ARCH) --sysroot $(SYSROOT) --out $(FIRMWARE_DIR)

firmware-all: ## the firmware for 64-bit and 32-bit Raspberry Pi OS
	$(MAKE) --no-print-directory firmware ARCH=arm64
	$(MAKE) --no-print-directory firmware ARCH=armv7

flash-image: firmware ## PIOS_IMAGE=raspios.img.xz: an SD image with neonet in dist/neonet-raspios.img (ARCH=armv7 for a 32-bit image)
	@[ -n "$(PIOS_IMAGE)" ] || { echo "flash-image: set PIOS_IMAGE=path/to/raspios-bookworm-arm64-lite.img.xz"; exit 2; }
	scripts/flash.sh --image $(PIOS_IMAGE) --out $(FLASH_OUT) --binary $(FIRMWARE) --lib-dir $(FIRMWARE_DIR)/lib $(FLASH_ARGS)

test-flash: firmware-all ## flash/sysroot script tests, and both cross-built binaries under qemu (A72, A76; A7)
	GO=$(GO) DATA=$(DATA) scripts/test/flash_test.sh --qemu --sysroot build/sysroot-bookworm-arm64 \
		--sysroot-armhf build/sysroot-bookworm-armhf --dist $(DIST)

test-flash-quick: ## the flash script tests without cross-building
	scripts/test/flash_test.sh

lint-flash: ## shellcheck the flash and sysroot scripts
	shellcheck scripts/flash.sh scripts/flash-*.sh scripts/sysroot.sh scripts/test/flash_test.sh
