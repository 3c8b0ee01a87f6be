# picos: plain make.  `make` builds, `make test` tests, `make bench`
# benchmarks, `make install PREFIX=...` installs.

CC ?= cc
PREFIX ?= /usr/local
BUILD := build

WARN := -Wall -Wextra -Werror
COMMON := -std=gnu11 -O2 -g $(WARN) -Iinclude

# The provider: freestanding, no %fs, no stack protector, no vector
# registers, position-independent code linked at one fixed address.
PROV_CFLAGS := $(COMMON) -ffreestanding -nostdlib -fno-stack-protector \
	-mgeneral-regs-only -fpie -fvisibility=hidden -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fcf-protection=none -fno-jump-tables
PROV_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,src/kernel/provider.ld \
	-Wl,--build-id=none -Wl,-z,noexecstack

HOST_CFLAGS := $(COMMON) -D_GNU_SOURCE
HOST_LDLIBS :=

KERNEL_SRCS := $(sort $(wildcard src/kernel/*/*.c)) \
	src/rt/string.c src/rt/fmt.c src/rt/path.c src/rt/builtins.c
KERNEL_ASMS := $(sort $(wildcard src/kernel/*/*.S))
KERNEL_OBJS := $(patsubst src/%,$(BUILD)/prov/%.o,$(KERNEL_SRCS) $(KERNEL_ASMS))

# seccomp.c and init_filter.c build the seccomp programs with libseccomp
# at build time only (tools/genseccomp.c): picos installs their output.
SECCOMP_GEN_SRCS := src/sandbox/seccomp.c src/sandbox/init_filter.c
CLI_SRCS := $(filter-out $(SECCOMP_GEN_SRCS),$(wildcard src/cli/*.c) $(wildcard src/sandbox/*.c))
CLI_OBJS := $(patsubst src/%,$(BUILD)/host/%.o,$(CLI_SRCS))

PICOS := $(BUILD)/picos
PROVIDER := $(BUILD)/provider.elf

.PHONY: all test fuzz bench install clean docs check-docs demo deps
all: $(PICOS)

$(BUILD)/prov/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROV_CFLAGS) -MMD -c $< -o $@

$(BUILD)/prov/%.S.o: src/%.S
	@mkdir -p $(dir $@)
	$(CC) $(PROV_CFLAGS) -MMD -c $< -o $@

$(PROVIDER): $(KERNEL_OBJS) src/kernel/provider.ld
	$(CC) $(PROV_CFLAGS) $(PROV_LDFLAGS) $(KERNEL_OBJS) -o $@

$(BUILD)/host/%.c.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -MMD -c $< -o $@

# picos carries the provider without its symbols and debug sections (a
# seventh of the size): every run copies the image into a memfd.
# provider.elf keeps them for addr2line; the loaded bytes are the same.
$(BUILD)/provider.img: $(PROVIDER)
	strip -o $@ $<

$(BUILD)/host/image.o: src/cli/image.S $(BUILD)/provider.img
	@mkdir -p $(dir $@)
	$(CC) -c -DPROVIDER_IMAGE='"$(BUILD)/provider.img"' $< -o $@

# The world's seccomp program, compiled by libseccomp at build time.
$(BUILD)/genseccomp: tools/genseccomp.c $(SECCOMP_GEN_SRCS) src/sandbox/sandbox.h src/sandbox/hostabi.def
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) tools/genseccomp.c $(SECCOMP_GEN_SRCS) -o $@ -lseccomp

$(BUILD)/gen/seccomp_progs.h: $(BUILD)/genseccomp
	@mkdir -p $(dir $@)
	$(BUILD)/genseccomp > $@.tmp && mv $@.tmp $@

$(BUILD)/host/sandbox/seccomp_load.c.o: src/sandbox/seccomp_load.c $(BUILD)/gen/seccomp_progs.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -I$(BUILD)/gen -MMD -c $< -o $@

$(PICOS): $(CLI_OBJS) $(BUILD)/host/image.o
	$(CC) $(HOST_CFLAGS) $^ -o $@ $(HOST_LDLIBS)

# Tools: the coverage table generator and the host-ABI lister.
$(BUILD)/gensyscalls: tools/gensyscalls.c src/kernel/entry/syscalls.def
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $< -o $@

$(BUILD)/gensecurity: tools/gensecurity.c src/sandbox/hostabi.def
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $< -o $@

# docs/security.md: the hand-written sections in file-name order, each
# followed by a blank line, then the generated host-call table.
SECURITY_DOC = { for f in docs/security/*.md; do cat $$f; echo; done; $(BUILD)/gensecurity; }

docs: $(BUILD)/gensyscalls $(BUILD)/gensecurity
	$(BUILD)/gensyscalls > docs/syscalls.md
	$(SECURITY_DOC) > docs/security.md

# Fails when a generated doc is not what its table generates.
check-docs: $(BUILD)/gensyscalls $(BUILD)/gensecurity
	@$(BUILD)/gensyscalls | cmp -s - docs/syscalls.md || \
		{ echo "docs/syscalls.md is stale: run 'make docs'"; exit 1; }
	@$(SECURITY_DOC) | cmp -s - docs/security.md || \
		{ echo "docs/security.md is stale: run 'make docs'"; exit 1; }

# Both set-up commands work on a fresh machine: as root they install the
# Debian packages they need first.
deps:
	tests/install-deps.sh

demo: deps
	$(MAKE) $(PICOS)
	$(PICOS) run --hostname picos-demo -- /bin/uname -a
	$(PICOS) run --stats -- /bin/ls -la /

test: deps
	$(MAKE) $(PICOS)
	tests/run-all.sh

# Trinity for 600 s and stress-ng's sysinval/sysbadaddr for 200 s inside
# picos (make test runs the same for one minute).
fuzz: deps
	$(MAKE) $(PICOS)
	tests/fuzz/run.sh 800

bench: $(PICOS)
	bench/run.sh

install: $(PICOS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(PICOS) $(DESTDIR)$(PREFIX)/bin/picos
	install -m 644 docs/picos.1 $(DESTDIR)$(PREFIX)/share/man/man1/picos.1
	install -m 644 tools/bash-completion/picos \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/picos

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
