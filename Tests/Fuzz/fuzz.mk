# Tests/Fuzz/fuzz.mk — the host fuzz build: the libOS's parsers under libFuzzer and AddressSanitizer
# (docs/FUZZING.md).
#
#   make -f Tests/Fuzz/fuzz.mk [OUT=.build-fuzz]      builds $(OUT)/swiftlet-fuzz
#   SWIFTLET_FUZZ_TARGET=tcp .build-fuzz/swiftlet-fuzz Tests/Fuzz/corpus/tcp      (bench/fuzz.sh runs them all)
#
# The sources are the image's own, compiled as Embedded Swift for the host with the image's language flags
# (mk/image.mk), so the code under test is the code that ships. Three things differ: `-O -assert-config Debug`
# instead of `-Osize`, which keeps the standard library's debug checks (raw-buffer subscripts and slices are
# bounds-checked; images compile those checks out), `-sanitize=address -sanitize=fuzzer` (AddressSanitizer, and
# libFuzzer's coverage instrumentation), and the platform: Tests/Fuzz/Platform/fuzz_platform.c instead of Posix
# or Virtio (no devices, a virtual clock, deterministic entropy).

OUT ?= .build-fuzz
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
SWIFTC ?= swiftc
# `-O -assert-config Debug`: optimised, with the debug preconditions kept. CI's smoke run may pass -Onone (faster to
# build, slower to run; the checks are on either way).
SWIFT_OPT ?= -O -assert-config Debug
CLANG ?= clang
TOOLCHAIN := $(abspath $(dir $(shell command -v $(SWIFTC)))/..)
EMB := $(TOOLCHAIN)/lib/swift/embedded/x86_64-unknown-linux-gnu

SWIFTFLAGS := -target x86_64-unknown-linux-gnu \
  -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -wmo -parse-as-library $(SWIFT_OPT) -swift-version 5 -gline-tables-only \
  -Xfrontend -disable-stack-protector -Xfrontend -function-sections -Xcc -fno-omit-frame-pointer \
  -sanitize=address -sanitize=fuzzer -I $(ROOT)/Sources/ABI/include -suppress-warnings
CFLAGS := -target x86_64-unknown-linux-gnu -O1 -g -Wall -Wextra -I $(ROOT)/Sources/ABI/include -I $(TOOLCHAIN)/include

RUNTIME_SRC := $(sort $(wildcard $(ROOT)/Sources/Runtime/*.swift))
NET_SRC := $(sort $(shell find $(ROOT)/Sources/Net -name '*.swift'))
STORE_SRC := $(sort $(wildcard $(ROOT)/Sources/Store/*.swift))
# The platforms' text parsers, compiled into the harness module (their types are internal).
PLATFORM_SRC := $(ROOT)/Sources/Platform/Virtio/BootWords.swift $(ROOT)/Sources/Platform/Posix/DeviceOptions.swift \
  $(ROOT)/Sources/Platform/Posix/Line.swift
HARNESS_SRC := $(sort $(wildcard $(ROOT)/Tests/Fuzz/Harnesses/*.swift)) $(PLATFORM_SRC)
RECIPE := $(ROOT)/Tests/Fuzz/fuzz.mk
BINARY := $(OUT)/swiftlet-fuzz

.PHONY: all
all: $(BINARY)

$(OUT):
	@mkdir -p $@

$(OUT)/Runtime.o: $(RUNTIME_SRC) $(RECIPE) $(ROOT)/Sources/ABI/include/swiftlet_platform.h | $(OUT)
	$(SWIFTC) $(SWIFTFLAGS) -module-name Runtime -emit-module -emit-module-path $(OUT)/Runtime.swiftmodule \
	  -c $(RUNTIME_SRC) -o $@

$(OUT)/Net.o: $(NET_SRC) $(OUT)/Runtime.o $(RECIPE)
	$(SWIFTC) $(SWIFTFLAGS) -I $(OUT) -module-name Net -emit-module -emit-module-path $(OUT)/Net.swiftmodule \
	  -c $(NET_SRC) -o $@

$(OUT)/Store.o: $(STORE_SRC) $(RECIPE) | $(OUT)
	$(SWIFTC) $(SWIFTFLAGS) -module-name Store -emit-module -emit-module-path $(OUT)/Store.swiftmodule \
	  -c $(STORE_SRC) -o $@

# The device grammar the platforms' parsers import (module DeviceSpec, as mk/image.mk builds it).
DEVSPEC_SRC := $(sort $(wildcard $(ROOT)/Sources/DeviceSpec/*.swift))
$(OUT)/DeviceSpec.o: $(DEVSPEC_SRC) $(RECIPE) | $(OUT)
	$(SWIFTC) $(SWIFTFLAGS) -module-name DeviceSpec -emit-module -emit-module-path $(OUT)/DeviceSpec.swiftmodule \
	  -c $(DEVSPEC_SRC) -o $@

$(OUT)/Harnesses.o: $(HARNESS_SRC) $(OUT)/Runtime.o $(OUT)/Net.o $(OUT)/Store.o $(OUT)/DeviceSpec.o $(RECIPE)
	$(SWIFTC) $(SWIFTFLAGS) -I $(OUT) -I $(ROOT)/Sources/Platform/Virtio/C/include -module-name SwiftletFuzz \
	  -c $(HARNESS_SRC) -o $@

$(OUT)/executor_hooks.o: $(ROOT)/Sources/Runtime/C/executor_hooks.c $(RECIPE) | $(OUT)
	$(CLANG) $(CFLAGS) -c $< -o $@

$(OUT)/fuzz_platform.o: $(ROOT)/Tests/Fuzz/Platform/fuzz_platform.c $(RECIPE) | $(OUT)
	$(CLANG) $(CFLAGS) -c $< -o $@

OBJS := $(OUT)/Harnesses.o $(OUT)/Net.o $(OUT)/Store.o $(OUT)/DeviceSpec.o $(OUT)/Runtime.o $(OUT)/executor_hooks.o \
  $(OUT)/fuzz_platform.o

$(BINARY): $(OBJS)
	$(CLANG) -target x86_64-unknown-linux-gnu -fsanitize=fuzzer,address -fuse-ld=lld -Wl,--gc-sections -o $@ $(OBJS) \
	  $(EMB)/libswift_Concurrency.a $(EMB)/libswiftUnicodeDataTables.a -l:libstdc++.a -lm
