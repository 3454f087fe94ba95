# SPDX-License-Identifier: MIT
# pvpci: the two commands of the README (make demo, make test) and their helpers. Meson and
# Ninja do the building; this file installs missing Debian packages (when root), configures
# the build directories and runs things.

BUILD      ?= build
SAN_BUILD  ?= build-sanitize
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
DEB_PACKAGES = gcc clang make meson ninja-build pkg-config libcmocka-dev pciutils \
               libxen-dev xenstore-utils valgrind

.PHONY: all deps build demo test test-unit test-sanitize test-fuzz test-xen bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh $(DEB_PACKAGES)

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	@scripts/demo.sh $(BUILD)

$(SAN_BUILD)/build.ninja:
	meson setup $(SAN_BUILD) --buildtype=debug -Db_sanitize=address,undefined \
		-Db_lundef=false -Dc_args=-fno-sanitize-recover=all

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) --buildtype=debugoptimized -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link

test-unit: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

test-sanitize: deps $(SAN_BUILD)/build.ninja
	ninja -C $(SAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		meson test -C $(SAN_BUILD) --print-errorlogs --num-processes 2

test-fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)
	@scripts/fuzz-smoke.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

test: test-unit test-sanitize test-fuzz
	@scripts/test-summary.sh $(BUILD) $(SAN_BUILD)

# End-to-end on real Xen under QEMU (root; builds its images in $(LAB) on first use).
LAB ?= /var/tmp/pvpci-xenlab
test-xen: build
	LAB=$(LAB) tests/xen/run.sh $(BUILD)/tools/pvpci/pvpci

bench: build
	@scripts/bench.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
