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

# vsnprintf (printf.c) serves only the concurrency runtime's fatal-error messages: compiled for size.
$(PF)/printf.o: CFLAGS += -Os

# --nmagic: segments are not page-aligned in the file (their addresses still are, link.ld): every loader we boot
# through (QEMU's PVH loader, Firecracker, GRUB's Multiboot2 ELF loader) copies each segment from its p_offset,
# so the padding to the next 4 KiB (up to a page before the text, after it and after the rodata) was only bytes
# in the file (docs/BENCHMARKS.md, footprint).
$(IMAGE): $(OBJS) $(LINK_MODE) $(VIRTIO_TREE_O) $(VIRTIO_DIR)/link.ld $(VIRTIO_DIR)/link.mk | $(AB)
	$(LD_LLD) -static -nostdlib $(if $(LTO),$(LTO_LDFLAGS)) --gc-sections --icf=safe -z norelro -z noexecstack -z max-page-size=4096 --nmagic \
	  -T $(VIRTIO_DIR)/link.ld -o $@ $(LINK_OBJS) $(VIRTIO_TREE_O) \
	  $(EMB)/libswift_Concurrency.a $(EMB)/libswiftUnicodeDataTables.a $(VIRTIO_BUILTINS)
	strip -o $(AB)/$(APPNAME).stripped $@
	@size=$$(stat -c %s $(AB)/$(APPNAME).stripped); echo "virtio image: $@ (stripped $$size bytes)"
