# link.mk — links a Swiftlet virtio image (included by mk/image.mk for TARGET=virtio).
#
# Freestanding ld.lld link of the app, Runtime and this platform with our
# linker script (link.ld), the embedded linux-gnu Swift archives, and
# libstdc++'s red-black tree helpers (tree.o, extracted at build time from
# gcc's libstdc++.a: libswift_Concurrency.a needs _Rb_tree_* and tree.o has no
# further undefined symbols), then compiler-rt's builtins for what LLVM may
# call behind Swift's back (128-bit division). --gc-sections is required:
# without it libswift_Concurrency.a leaves a dozen runtime symbols undefined. -z norelro: no RELRO segment in a kernel.

VIRTIO_DIR := $(ROOT)/Sources/Platform/Virtio/C
LD_LLD ?= $(TOOLCHAIN)/bin/ld.lld
LIBSTDCXX ?= $(lastword $(sort $(wildcard /usr/lib/gcc/x86_64-linux-gnu/*/libstdc++.a)))
VIRTIO_TREE_O := $(PF)/tree.o
# compiler-rt builtins (__udivti3 and friends, for 128-bit arithmetic), freestanding-safe.
VIRTIO_BUILTINS := $(shell $(CLANG) --rtlib=compiler-rt -print-libgcc-file-name)

$(VIRTIO_TREE_O): | $(PF)
	cd $(PF) && ar x $(LIBSTDCXX) tree.o

$(IMAGE): $(OBJS) $(VIRTIO_TREE_O) $(VIRTIO_DIR)/link.ld | $(AB)
	$(LD_LLD) -static -nostdlib --gc-sections --icf=safe -z norelro -z noexecstack -z max-page-size=4096 \
	  -T $(VIRTIO_DIR)/link.ld -o $@ $(OBJS) $(VIRTIO_TREE_O) \
	  $(EMB)/libswift_Concurrency.a $(EMB)/libswiftUnicodeDataTables.a $(VIRTIO_BUILTINS)
	strip -o $(AB)/$(APPNAME).stripped $@
	@size=$$(stat -c %s $(AB)/$(APPNAME).stripped); echo "virtio image: $@ (stripped $$size bytes)"
