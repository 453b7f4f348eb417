# mk/image.mk — the one build recipe for Swiftlet images.
#
# Used by `swiftlet build` (Sources/SwiftletKit/Builder.swift runs it) and by hand:
#   make -f mk/image.mk TARGET=posix|virtio APP=Samples/hello [APPNAME=hello] [OUT=.build-swiftlet] [PROFILE=debug]
#     [APPOUT=DIR] [TESTS=1] [PACKAGE_MODULES=FILE] [PROFILER=1]
# Prints the image path as the last line of `make -f mk/image.mk ... print-image`.
#
# Both targets compile the libOS and the app as Embedded Swift for the
# x86_64-unknown-linux-gnu triple (the only one with Embedded _Concurrency);
# they differ only in the platform module and in how the result is linked:
# posix links against glibc into an ordinary ELF process, virtio links
# freestanding with our linker script into a PVH-bootable ELF.

TARGET ?= posix
APP ?= Samples/hello
APPNAME ?= $(notdir $(abspath $(APP)))
OUT ?= .build-swiftlet
# release (default): -Osize; debug (`swiftlet build|run|test|debug --debug`, its own OUT, .build-swiftlet-debug):
# -Onone with full debug information, for a debugger (docs/DEBUGGING.md).
PROFILE ?= release
# TESTS=1: a test image (`swiftlet test`): the app is compiled against Runtime's interface built with
# -D SWIFTLET_TESTS, so that a TestableApplication's entry point runs `swiftlet.test=...` and links the harness and
# the app's tests; without it nothing refers to them and --gc-sections drops them (docs/BENCHMARKS.md, footprint).
# Runtime's object is the same for both: the switch is only in the generic entry point the app specializes.
TESTS ?=
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)

SWIFTC ?= swiftc
CLANG ?= clang
TOOLCHAIN := $(abspath $(dir $(shell command -v $(SWIFTC)))/..)
EMB := $(TOOLCHAIN)/lib/swift/embedded/x86_64-unknown-linux-gnu

B := $(OUT)/$(TARGET)
RT := $(B)/runtime
PF := $(B)/platform
# The app's own objects and image; the libOS's (RT, PF) are shared by every app built into OUT. An app that is a
# Swift package keeps its own in the package (`swiftlet build` passes APPOUT=<package>/.build-swiftlet/$(TARGET)/<name>,
# docs/PACKAGES.md), so two packages with a target of the same name never share objects.
# PROFILER=1 (`swiftlet profile`) compiles the sampling profiler's start with the app (Sources/Runtime/Features,
# started through the weak reference in Sources/ABI/include/swiftlet_features.h); such an image is kept apart
# (…-profiler), so the image without it is never replaced.
ifeq ($(PROFILER),1)
FEATURE_SRC := $(ROOT)/Sources/Runtime/Features/Profiler.swift
else ifneq ($(PROFILER),)
$(error unknown PROFILER '$(PROFILER)': use PROFILER=1 or leave it out)
endif
APPOUT ?= $(B)/$(if $(TESTS),tests,apps)/$(APPNAME)$(if $(FEATURE_SRC),-profiler)
AB := $(APPOUT)
# The app's view of Runtime: its test interface first in a test image.
RT_TESTS := $(RT)/tests
APP_IMPORTS := $(if $(TESTS),-I $(RT_TESTS) -D SWIFTLET_TESTS) -I $(RT)

# Both profiles keep frame pointers (every fault, trap and abort report walks them for its backtrace; passing any
# -Xcc flag makes swiftc drop its default "frame-pointer"="all", hence -Xcc -fno-omit-frame-pointer) and line
# tables (the host symbolizes a backtrace to function, file and line, and names a Swift runtime trap from the
# "Swift runtime failure: ..." frame the compiler records at each trap). Debug information never reaches the
# stripped image. docs/DEBUGGING.md.
# LTO=full|(empty): link-time optimization. Each Swift module's optimized IR is also written as LLVM bitcode
# (OBJ.bc beside OBJ), and an LTO link takes those instead of the objects: ld.lld optimizes the app, its package
# modules, Net, Store, Runtime and Platform as one program (cross-module inlining, dead code and globals) and
# generates its code once. Default: on for prod (virtio) release images of apps. Off for test images (apps under
# Tests/ and TESTS=1), whose many links would each pay the whole program's code generation in CI time; off for
# debug builds; and off for dev (posix), where LTO's code generation adds unwind tables (.eh_frame, 53 KiB more
# for http) that the virtio linker script discards but a dev image keeps, so dev's heap, which is what --memory
# leaves after the image (Sources/Platform/Posix/Arena.swift), would fall below prod's. docs/BENCHMARKS.md,
# footprint, has what it saves and costs.
LTO ?= $(if $(and $(filter release,$(PROFILE)),$(filter virtio,$(TARGET))),$(if $(APP_IS_TEST)$(TESTS),,full))
# Code generation options of the LTO link. The machine outliner moves instruction sequences repeated across the
# program into shared fragments (`OUTLINED_FUNCTION_N`, about 4% of http's code): they never touch %rsp nor contain a
# Swift runtime trap (`ud2`), so traps and the frame-pointer walk are unchanged, but a memory fault inside one names
# the fragment and loses its immediate caller (docs/DEBUGGING.md §3).
LTO_LDFLAGS ?= -mllvm -enable-machine-outliner=always
ifneq ($(filter-out full,$(LTO)),)
$(error unknown LTO '$(LTO)': use LTO=full or LTO= (none))
endif

ifeq ($(PROFILE),release)
SWIFT_OPT := -Osize -gline-tables-only
C_OPT := -O2 -gline-tables-only
IR_OPT := -Os
else ifeq ($(PROFILE),debug)
SWIFT_OPT := -Onone -g
C_OPT := -Og -g
IR_OPT := -O0
else
$(error unknown PROFILE '$(PROFILE)': use release or debug)
endif

# Identical language flags in both modes: a feature that cannot ship cannot pass in dev.
SWIFTFLAGS := -target x86_64-unknown-linux-gnu \
  -enable-experimental-feature Embedded -enable-experimental-feature Extern \
  -wmo -parse-as-library $(SWIFT_OPT) -swift-version 5 \
  -Xfrontend -function-sections -Xfrontend -disable-stack-protector \
  -Xcc -mno-red-zone -Xcc -fno-stack-protector -Xcc -fno-omit-frame-pointer \
  -I $(ROOT)/Sources/ABI/include
CFLAGS := -target x86_64-unknown-linux-gnu $(C_OPT) -fno-omit-frame-pointer -Wall -Wextra -ffunction-sections \
  -fdata-sections -fno-stack-protector -mno-red-zone -I $(ROOT)/Sources/ABI/include -I $(TOOLCHAIN)/include

# Swift is compiled to LLVM IR (optimized by swiftc) and then to an object by clang, with a section
# per function *and per global*: swiftc's own object output puts a module's globals, async function
# pointers and metadata in one .data/.rodata section each, so --gc-sections kept a whole module
# alive through any one of them (hello linked all of Net). `swift-ir-object IR,OBJ` is that step.
IRFLAGS := -target x86_64-unknown-linux-gnu $(IR_OPT) -Xclang -disable-llvm-passes \
  -ffunction-sections -fdata-sections -Wno-override-module
# Release builds also write the module's bitcode for LTO links (cheap next to the code generation): the libOS objects
# are shared by every app built into OUT, with LTO or without.
swift-ir-object = $(CLANG) $(IRFLAGS) -c $(1) -o $(2) \
  $(if $(filter release,$(PROFILE)),&& $(CLANG) $(IRFLAGS) -flto=full -c $(1) -o $(2:.o=.bc)) && rm -f $(1)

# `$(call imports,MODULE,FILES)`: the files among FILES that import MODULE (an app pays for a libOS
# module only when it imports it: docs/BENCHMARKS.md, footprint).
imports = $(if $(2),$(shell grep -lE '^[[:space:]]*import[[:space:]]+([a-z]+[[:space:]]+)?$(1)([^A-Za-z0-9_]|$$)' $(2) 2>/dev/null))

RUNTIME_SRC := $(sort $(wildcard $(ROOT)/Sources/Runtime/*.swift))
RUNTIME_C := $(sort $(wildcard $(ROOT)/Sources/Runtime/C/*.c))
RUNTIME_COBJ := $(patsubst $(ROOT)/Sources/Runtime/C/%.c,$(RT)/%.o,$(RUNTIME_C))
APP_SRC := $(sort $(shell find $(abspath $(APP)) -name '*.swift' -not -path '*/.build*' 2>/dev/null))
# An app package's library modules (its own library targets, its dependencies' products), dependencies first:
# `swiftlet build` writes FILE with PACKAGE_MODULE_NAMES and PACKAGE_MODULE_SRC_<name> (docs/PACKAGES.md §3).
PACKAGE_MODULES ?=
ifneq ($(PACKAGE_MODULES),)
include $(PACKAGE_MODULES)
endif
PKG_SRC := $(foreach m,$(PACKAGE_MODULE_NAMES),$(PACKAGE_MODULE_SRC_$(m)))
APP_USES_NET := $(call imports,Net,$(APP_SRC) $(PKG_SRC))
# Dual-mode suites (Tests/DualMode/<suite>) share the helpers in Tests/DualMode/Support
# (those that import Net only when the suite does).
ifneq ($(findstring /Tests/DualMode/,$(abspath $(APP))/),)
SUPPORT_SRC := $(sort $(wildcard $(ROOT)/Tests/DualMode/Support/*.swift))
APP_SRC += $(if $(APP_USES_NET),$(SUPPORT_SRC),$(filter-out $(call imports,Net,$(SUPPORT_SRC)),$(SUPPORT_SRC)))
endif
# An app may list folders of shared sources (repository-relative, one per line) in `shared-sources`:
# Tests/DualMode/store-crash compiles in Tests/StoreCrash, which the host tests build as a SwiftPM target.
SHARED_DIRS := $(if $(wildcard $(abspath $(APP))/shared-sources),$(shell cat $(abspath $(APP))/shared-sources))
APP_SRC += $(sort $(foreach dir,$(SHARED_DIRS),$(wildcard $(ROOT)/$(dir)/*.swift)))
NET_SRC := $(if $(APP_USES_NET),$(sort $(shell find $(ROOT)/Sources/Net -name '*.swift' 2>/dev/null)))
# The test doubles of the network stack (Sources/NetTesting: VirtualLink, FaultInjector, SoftwareOffload, VirtualClock),
# module `NetTesting` over Net, as SwiftNIO keeps NIOEmbedded apart: compiled only into test images (apps under
# Tests/) that import it, so no app links or pays for them.
APP_IS_TEST := $(findstring /Tests/,$(abspath $(APP))/)
APP_USES_NETTESTING := $(call imports,NetTesting,$(APP_SRC))
ifneq ($(APP_USES_NETTESTING),)
ifeq ($(APP_IS_TEST),)
$(error $(APP) imports NetTesting, the stack's test doubles, which only test images under Tests/ may link: remove the import)
endif
endif
NETTESTING_SRC := $(if $(APP_USES_NETTESTING),$(sort $(wildcard $(ROOT)/Sources/NetTesting/*.swift)))
# The store engine (its core plus the Runtime adapter, Sources/Store/Runtime): one module `Store`, only for an
# app that imports it.
APP_USES_STORE := $(call imports,Store,$(APP_SRC) $(PKG_SRC))
STORE_SRC := $(if $(APP_USES_STORE),$(sort $(shell find $(ROOT)/Sources/Store -name '*.swift' 2>/dev/null)))

ifeq ($(TARGET),posix)
PLATFORM_DIR := $(ROOT)/Sources/Platform/Posix
else ifeq ($(TARGET),virtio)
PLATFORM_DIR := $(ROOT)/Sources/Platform/Virtio
else
$(error unknown TARGET '$(TARGET)': use posix or virtio)
endif
# Sources/Platform/Heap, the one heap allocator (malloc over a fixed region), is built for both platforms: module
# `PlatformHeap`, which each platform imports, and its C API. Prod gives it RAM above the image, dev an arena the
# tender maps (its README).
HEAP_DIR := $(ROOT)/Sources/Platform/Heap
HEAP_SRC := $(sort $(wildcard $(HEAP_DIR)/*.swift))
PLATFORM_SRC := $(sort $(wildcard $(PLATFORM_DIR)/*.swift))
PLATFORM_C := $(sort $(wildcard $(PLATFORM_DIR)/C/*.c))
PLATFORM_S := $(sort $(wildcard $(PLATFORM_DIR)/C/*.S))
HEAP_C := $(sort $(wildcard $(HEAP_DIR)/C/*.c))
PLATFORM_COBJ := $(patsubst $(PLATFORM_DIR)/C/%.c,$(PF)/%.o,$(PLATFORM_C)) \
                 $(patsubst $(PLATFORM_DIR)/C/%.S,$(PF)/%.S.o,$(PLATFORM_S)) \
                 $(patsubst $(HEAP_DIR)/C/%.c,$(PF)/heap_%.o,$(HEAP_C))
# Sources/DeviceSpec, the device grammar the CLI, the tender and the boot words share: module `DeviceSpec`.
DEVSPEC_SRC := $(sort $(wildcard $(ROOT)/Sources/DeviceSpec/*.swift))
PLATFORM_OBJ := $(if $(PLATFORM_SRC),$(PF)/Platform.o) $(PF)/PlatformHeap.o $(PF)/DeviceSpec.o $(PLATFORM_COBJ)

IMAGE := $(AB)/$(APPNAME).elf
# Every object depends on this recipe, so a change of flags rebuilds.
RECIPE := $(ROOT)/mk/image.mk

.PHONY: image print-image
image: $(IMAGE)
print-image:
	@echo $(abspath $(IMAGE))

$(RT) $(PF) $(AB):
	@mkdir -p $@

# --- Runtime (module `Runtime`) ---------------------------------------------
$(RT)/Runtime.o: $(RUNTIME_SRC) $(RECIPE) $(ROOT)/Sources/ABI/include/swiftlet_platform.h | $(RT)
	$(SWIFTC) $(SWIFTFLAGS) -module-name Runtime -emit-module -emit-module-path $(RT)/Runtime.swiftmodule \
	  -emit-ir $(RUNTIME_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)

# Runtime's interface with -D SWIFTLET_TESTS, for test images (TESTS=1); the object is $(RT)/Runtime.o all the same.
$(RT_TESTS)/Runtime.swiftmodule: $(RUNTIME_SRC) $(RECIPE) $(ROOT)/Sources/ABI/include/swiftlet_platform.h | $(RT)
	@mkdir -p $(RT_TESTS)
	$(SWIFTC) $(SWIFTFLAGS) -D SWIFTLET_TESTS -module-name Runtime -emit-module -emit-module-path $@ $(RUNTIME_SRC)

$(RT)/%.o: $(ROOT)/Sources/Runtime/C/%.c $(RECIPE) | $(RT)
	$(CLANG) $(CFLAGS) -c $< -o $@

# --- Net (module `Net`), only when it has sources --------------------------
ifneq ($(NET_SRC),)
NET_OBJ := $(RT)/Net.o
$(RT)/Net.o: $(NET_SRC) $(RT)/Runtime.o $(RECIPE)
	$(SWIFTC) $(SWIFTFLAGS) -I $(RT) -module-name Net -emit-module -emit-module-path $(RT)/Net.swiftmodule \
	  -emit-ir $(NET_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)
endif

# --- NetTesting (module `NetTesting`), only for a test that imports it ----
ifneq ($(NETTESTING_SRC),)
NETTESTING_OBJ := $(RT)/NetTesting.o
$(RT)/NetTesting.o: $(NETTESTING_SRC) $(RT)/Net.o $(RECIPE)
	$(SWIFTC) $(SWIFTFLAGS) -I $(RT) -module-name NetTesting -emit-module \
	  -emit-module-path $(RT)/NetTesting.swiftmodule -emit-ir $(NETTESTING_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)
endif

# --- Store (module `Store`), only when it has sources ----------------------
ifneq ($(STORE_SRC),)
STORE_OBJ := $(RT)/Store.o
$(RT)/Store.o: $(STORE_SRC) $(RT)/Runtime.o $(RECIPE)
	$(SWIFTC) $(SWIFTFLAGS) -I $(RT) -module-name Store -emit-module -emit-module-path $(RT)/Store.swiftmodule \
	  -emit-ir $(STORE_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)
endif

# --- Platform ----------------------------------------------------------------
$(PF)/PlatformHeap.o: $(HEAP_SRC) $(RECIPE) $(ROOT)/Sources/ABI/include/swiftlet_platform.h | $(PF)
	$(SWIFTC) $(SWIFTFLAGS) -module-name PlatformHeap -emit-module -emit-module-path $(PF)/PlatformHeap.swiftmodule \
	  -emit-ir $(HEAP_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)

$(PF)/DeviceSpec.o: $(DEVSPEC_SRC) $(RECIPE) | $(PF)
	$(SWIFTC) $(SWIFTFLAGS) -module-name DeviceSpec -emit-module -emit-module-path $(PF)/DeviceSpec.swiftmodule \
	  -emit-ir $(DEVSPEC_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)

$(PF)/Platform.o: $(PLATFORM_SRC) $(PF)/PlatformHeap.o $(PF)/DeviceSpec.o $(RECIPE) $(ROOT)/Sources/ABI/include/swiftlet_platform.h $(ROOT)/Sources/ABI/include/swiftlet_virtio_net_hdr.h | $(PF)
	$(SWIFTC) $(SWIFTFLAGS) -I $(PF) -I $(PLATFORM_DIR)/C/include -module-name Platform$(TARGET) -emit-ir $(PLATFORM_SRC) \
	  -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)

$(PF)/%.o: $(PLATFORM_DIR)/C/%.c $(wildcard $(PLATFORM_DIR)/C/*.h) $(wildcard $(ROOT)/Sources/ABI/include/*.h) $(RECIPE) | $(PF)
	$(CLANG) $(CFLAGS) -I $(PLATFORM_DIR)/C/include -c $< -o $@

$(PF)/heap_%.o: $(HEAP_DIR)/C/%.c $(wildcard $(ROOT)/Sources/ABI/include/*.h) $(RECIPE) | $(PF)
	$(CLANG) $(CFLAGS) -c $< -o $@

$(PF)/%.S.o: $(PLATFORM_DIR)/C/%.S $(RECIPE) | $(PF)
	$(CLANG) $(CFLAGS) -c $< -o $@

# --- Package modules (an app package's library targets and dependencies), in order ------
# Each may import the libOS and the modules before it; objects and interfaces live with the app's (AB/modules).
PM := $(AB)/modules
PKG_OBJ :=
define package-module
$(PM)/$(1).o: $(PACKAGE_MODULE_SRC_$(1)) $(RT)/Runtime.o $(if $(TESTS),$(RT_TESTS)/Runtime.swiftmodule) $(NET_OBJ) $(STORE_OBJ) $(2) $(RECIPE) $(PACKAGE_MODULES) | $(PM)
	$(SWIFTC) $(SWIFTFLAGS) $(if $(TESTS),-I $(RT_TESTS)) -I $(RT) -I $(PM) -module-name $(1) -emit-module -emit-module-path $(PM)/$(1).swiftmodule \
	  -emit-ir $(PACKAGE_MODULE_SRC_$(1)) -o $$(@:.o=.ll)
	$$(call swift-ir-object,$$(@:.o=.ll),$$@)
endef
$(foreach m,$(PACKAGE_MODULE_NAMES),$(eval $(call package-module,$(m),$(PKG_OBJ)))$(eval PKG_OBJ += $(PM)/$(m).o))
$(PM):
	@mkdir -p $@

# --- App ---------------------------------------------------------------------
$(AB)/app.o: $(APP_SRC) $(FEATURE_SRC) $(RT)/Runtime.o $(if $(TESTS),$(RT_TESTS)/Runtime.swiftmodule) $(RECIPE) $(NET_OBJ) $(NETTESTING_OBJ) $(STORE_OBJ) $(PKG_OBJ) | $(AB)
	$(SWIFTC) $(SWIFTFLAGS) $(APP_IMPORTS) $(if $(PKG_OBJ),-I $(PM)) -module-name $(subst -,_,$(APPNAME)) -emit-ir $(APP_SRC) $(FEATURE_SRC) -o $(@:.o=.ll)
	$(call swift-ir-object,$(@:.o=.ll),$@)

OBJS := $(AB)/app.o $(PKG_OBJ) $(NETTESTING_OBJ) $(NET_OBJ) $(STORE_OBJ) $(RT)/Runtime.o $(RUNTIME_COBJ) $(PLATFORM_OBJ)
# What the linker reads: with LTO, each Swift module's bitcode instead of its object (C and assembly stay objects).
SWIFT_OBJS := $(AB)/app.o $(PKG_OBJ) $(NETTESTING_OBJ) $(NET_OBJ) $(STORE_OBJ) $(RT)/Runtime.o $(PF)/Platform.o \
  $(PF)/PlatformHeap.o $(PF)/DeviceSpec.o
LINK_OBJS = $(if $(LTO),$(foreach o,$(OBJS),$(if $(filter $(o),$(SWIFT_OBJS)),$(o:.o=.bc),$(o))),$(OBJS))
# The link settings, rewritten only when they change, so that `LTO=` or `LTO_LDFLAGS=` relinks an image.
LINK_MODE := $(AB)/link-mode
ifneq ($(MAKECMDGOALS),print-image)
$(shell mkdir -p $(AB) && (echo '$(LTO) $(LTO_LDFLAGS)' | cmp -s - $(LINK_MODE) || echo '$(LTO) $(LTO_LDFLAGS)' >$(LINK_MODE)))
endif

ifeq ($(TARGET),posix)
$(IMAGE): $(OBJS) $(LINK_MODE)
	$(CLANG) -target x86_64-unknown-linux-gnu -fuse-ld=lld $(if $(LTO),-flto=full $(LTO_LDFLAGS:%=-Wl,%)) -Wl,--gc-sections -Wl,--icf=safe \
	  -o $@ $(LINK_OBJS) \
	  $(EMB)/libswift_Concurrency.a $(EMB)/libswiftUnicodeDataTables.a -lseccomp -l:libstdc++.a -lm
	@strip -o $(AB)/$(APPNAME).stripped $@
else
include $(PLATFORM_DIR)/C/link.mk
endif
