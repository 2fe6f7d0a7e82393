# runc-compatible OCI runtime. `make` builds ./runc (pure Go, seccomp).
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
GO        ?= go
BUILDTAGS ?= seccomp urfave_cli_no_docs
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null)$(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
VERSION   := $(shell cat VERSION)
LDFLAGS   := -X main.gitCommit=$(COMMIT) -X main.version=$(VERSION)
GOBUILD   := CGO_ENABLED=1 $(GO) build -trimpath -buildvcs=false
STATICTAGS := netgo osusergo
# `runc init` is a program of its own (cmd/runc-init: the C stage and the
# init, without the CLI), built first, stripped, into libcontainer/initbin
# and embedded in runc with its digest (the runc_initbin tag, package
# initbin); runc runs it sealed (libcontainer/exeseal). So is the seccomp
# compiler (cmd/runc-seccomp, libseccomp), which runc runs when a profile's
# program is not in its cache (package helperbin). Those two link C,
# statically (no dynamic loader at each start): the compiler glibc's and
# libseccomp's archives, the init musl's (INITCC): a static glibc program
# sizes the CPU caches at each start with a few dozen CPUID instructions,
# and CPUID traps to the hypervisor in a VM (make bench times a C-linking
# hello world with each C library). musl-gcc comes with scripts/deps.sh
# build (or musl, without seccomp). runc
# itself is pure Go (CGO_ENABLED=0, pure-Go user and net lookups), which
# starts sooner than a program that links C.
INITCC    ?= musl-gcc
# build_runc OUT,INIT,TAGS: the init program INIT (and, with seccomp, the
# compiler), then OUT embedding them.
INITBIN   := libcontainer/initbin/runc-init
SECCOMPBIN := libcontainer/seccomp/helperbin/runc-seccomp
SECCOMPPKG := github.com/seed4bdd2c93/runc/libcontainer/seccomp
ifneq (,$(findstring seccomp,$(BUILDTAGS)))
build_seccomp = $(GOBUILD) -ldflags "-s -w -extldflags -static" -tags "$(BUILDTAGS) $(STATICTAGS)" -o $(SECCOMPBIN) ./cmd/runc-seccomp
SECCOMPLDFLAGS = -X $(SECCOMPPKG)/helperbin.sum=$$(sha256sum $(SECCOMPBIN) | cut -c1-16) -X $(SECCOMPPKG).libVersion=$$(pkg-config --modversion libseccomp)
endif
define build_runc
	CC=$(INITCC) $(GOBUILD) -ldflags "-s -w -extldflags -static" -tags "$(BUILDTAGS) $(STATICTAGS) $(3)" -o $(2) ./cmd/runc-init
	$(build_seccomp)
	CGO_ENABLED=0 $(GO) build -trimpath -buildvcs=false -ldflags "$(LDFLAGS) -X github.com/seed4bdd2c93/runc/libcontainer/initbin.sum=$$(sha256sum $(2) | cut -c1-16) $(SECCOMPLDFLAGS)" \
		-tags "$(BUILDTAGS) $(STATICTAGS) runc_initbin $(3)" -o $(1) .
endef
ROOTFS    := tests/rootfs/busybox
TESTFLAGS ?=

.PHONY: all runc runc-faults static install install-bin install-man install-bash release man test unittest integration test-stress test-stress-long test-oci demo bench timeline deps clean FORCE

all: runc

deps:
ifneq (,$(findstring seccomp,$(BUILDTAGS)))
	@scripts/deps.sh build
else ifeq ($(INITCC),musl-gcc)
	@scripts/deps.sh musl
endif

# A release binary never contains the test fault hook (libcontainer/testfault):
# NOFAULTS checks the binary it is given for the variable's name.
NOFAULTS = @! grep -q _RUNC_TEST_FAULT $(1) || { echo "$(1): contains the test fault hook (_RUNC_TEST_FAULT)" >&2; rm -f $(1); exit 1; }

runc: deps FORCE
	$(call build_runc,$@,$(INITBIN))
	$(call NOFAULTS,$@)

# The same as `make runc` (kept for scripts that ask for it).
static: runc

# runc.faults: ./runc with the test fault hook (the runc_testfault build tag:
# _RUNC_TEST_FAULT=<stage> stops it at that stage, libcontainer/testfault).
# For the fault tests of tests/integration and tests/stress only
# (RUNC_FAULT_BINARY); never install it.
runc-faults: deps FORCE
	$(call build_runc,runc.faults,$(INITBIN).faults,runc_testfault)

# make install: the binary in $(BINDIR), the man pages in $(MANDIR)/man8
# and the bash completion; DESTDIR for staging, PREFIX for the tree.
install: install-bin install-man install-bash

install-bin: runc
	install -D -m0755 runc $(DESTDIR)$(BINDIR)/runc

install-man: man
	install -d -m0755 $(DESTDIR)$(MANDIR)/man8
	install -m0644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man8/

install-bash:
	install -D -m0644 contrib/completions/bash/runc $(DESTDIR)$(BASHCOMPDIR)/runc

# Man pages: man/*.8.md converted by go-md2man into man/man8/.
MANPAGES := $(patsubst man/%.md,man/man8/%,$(wildcard man/*.8.md))
GOMD2MAN ?= go-md2man
man: $(MANPAGES)

man/man8/%.8: man/%.8.md | man-deps
	@mkdir -p man/man8
	$(GOMD2MAN) -in $< -out $@

.PHONY: man-deps
man-deps:
	@command -v $(GOMD2MAN) >/dev/null || scripts/deps.sh man

# make release: static binaries stamped with VERSION and the git commit
# (runc --version shows both), in release/VERSION/ with their checksums.
RELEASE_DIR ?= release/$(VERSION)
GOARCH      ?= $(shell $(GO) env GOARCH)
release:
	rm -rf $(RELEASE_DIR)
	mkdir -p $(RELEASE_DIR)
	$(MAKE) static
	mv runc $(RELEASE_DIR)/runc.$(GOARCH)
	$(RELEASE_DIR)/runc.$(GOARCH) --version
	$(call NOFAULTS,$(RELEASE_DIR)/runc.$(GOARCH))
	cd $(RELEASE_DIR) && sha256sum runc.* > runc.sha256sum

$(ROOTFS):
	@scripts/deps.sh test
	tests/rootfs/busybox.sh $(ROOTFS)

# The demo: build, then run a real container on the bundled busybox.
demo: runc $(ROOTFS)
	scripts/demo.sh

unittest: deps
	$(GO) test -tags "$(BUILDTAGS)" $(TESTFLAGS) ./libcontainer/... ./tests/internal/... .
	$(GO) test $(TESTFLAGS) ./libcontainer/seccomp/ ./libcontainer/validate/

# RUNC_REFERENCE: runc 1.5.3, the reference of the differential tests.
# RUNC_TEST_REQUIRE: the host features this lane must have (this CI host's):
# a test that needs one of them fails instead of skipping. The VM lanes
# name theirs; on a host that has less, set it to what that host has (or
# empty). Run from the package directory, go test shows the run's summary
# of what was skipped and why.
RUNC_TEST_REQUIRE ?= cgroup1,rt-group-sched,blockdev,timens,userns,numa,x86_64,linux32,smp,cpus01,taskset,go-md2man,proc-masked,syscall-table
# RUNC_FAULT_BINARY: runc.faults, for the tests that stop runc at a stage.
integration: runc runc-faults $(ROOTFS)
	@scripts/deps.sh test
	cd tests/integration && RUNC_BINARY=$(CURDIR)/runc BUSYBOX_ROOTFS=$(CURDIR)/$(ROOTFS) \
		RUNC_FAULT_BINARY=$(CURDIR)/runc.faults \
		RUNC_REFERENCE=$$(cd $(CURDIR) && scripts/deps.sh reference) \
		RUNC_TEST_REQUIRE=$(RUNC_TEST_REQUIRE) \
		$(GO) test -count=1 -timeout 30m $(TESTFLAGS)

test: unittest integration

# What this host cannot run, in the VM lane (../shared/vmlane, qemu; the
# guest image is built once and cached), one script each:
#   test-vm           cgroup v2 and the systemd driver (scripts/test-vm.sh,
#                     VMTESTS picks the tests)
#   test-vm-security  AppArmor, and the seccomp/CVE tests again on that
#                     kernel (scripts/test-vm-security.sh)
#   test-vm-criu      checkpoint/restore with a working CRIU (it fails
#                     `criu check` here; `make test` checks that error path)
#   test-cri-vm       tests/cri with SystemdCgroup = true on cgroup v2
#                     (scripts/test-cri-vm.sh; all of critest, which takes
#                     hours there; CRI_VM_SUBSET=ci for CI's subset)
.PHONY: test-vm test-vm-security test-vm-criu
test-vm test-vm-security test-vm-criu test-cri-vm: runc runc-faults $(ROOTFS)
	RUNC_BINARY=$(CURDIR)/runc RUNC_FAULT_BINARY=$(CURDIR)/runc.faults \
		BUSYBOX_ROOTFS=$(CURDIR)/$(ROOTFS) scripts/$@.sh

# Every fuzz target for FUZZTIME each (go test -fuzz takes one target of one
# package at a time); seed corpora are in the packages' testdata/fuzz.
FUZZTIME ?= 10s
# The targets are found in the tests (func FuzzX in package P).
FUZZ_TARGETS = $(shell grep -rl --include='*_test.go' '^func Fuzz' . | grep -v '^./vendor/' | \
	xargs -n1 sh -c 'for f in $$(sed -n "s/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/p" "$$0"); do echo "$$(dirname $$0):$$f"; done')
.PHONY: fuzz
fuzz: deps
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz: $$fn in $$pkg for $(FUZZTIME)"; \
		$(GO) test -tags "$(BUILDTAGS)" -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# Stress: soak, parallel, same-ID races, faults, bad input, signal fidelity
# (tests/stress/README.md). Short form by default; STRESS_LONG=1 for the
# long one (make test-stress-long). Debian's runc is the signal reference.
test-stress: runc runc-faults $(ROOTFS)
	@scripts/deps.sh test
	@scripts/deps.sh bench
	RUNC_BINARY=$(CURDIR)/runc RUNC_FAULT_BINARY=$(CURDIR)/runc.faults \
		BUSYBOX_ROOTFS=$(CURDIR)/$(ROOTFS) STRESS_LONG=$(STRESS_LONG) \
		$(GO) test -count=1 -timeout 60m -v $(TESTFLAGS) ./tests/stress/

test-stress-long:
	$(MAKE) test-stress STRESS_LONG=1

# OCI runtime-tools validation suite, ours and Debian's runc side by side
# (tests/oci/README.md). OCIFLAGS is passed on, e.g. OCIFLAGS="-run hooks -v".
test-oci: runc
	@scripts/deps.sh bench
	RUNC_BINARY=$(CURDIR)/runc tests/oci/run.sh $(OCIFLAGS)

# containerd (ctr), Docker and Podman driving ./runc, every scenario also
# with Debian's runc for reference (tests/clients; CLIENTS_RUNTIMES=ours
# for ours alone). The ctr scenarios run on Debian's containerd 1.6 and
# on containerd 2.4.2 (scripts/deps.sh cri). Starts its own daemons on
# unix sockets in a temporary directory; about 4 minutes.
.PHONY: test-clients
test-clients: runc $(ROOTFS)
	@scripts/deps.sh clients
	@scripts/deps.sh cri >/dev/null
	RUNC_BINARY=$(CURDIR)/runc BUSYBOX_ROOTFS=$(CURDIR)/$(ROOTFS) \
		CONTAINERD_2_4=$$(scripts/deps.sh cri) \
		$(GO) test -count=1 -timeout 30m -v $(TESTFLAGS) ./tests/clients/

# Under Kubernetes: containerd 2.4's CRI plugin with two runtime handlers
# (the runc shim with ./runc, and with runc 1.5.3), critest v1.37.0 (the
# CRI validation suite) against both, failing on a test ours fails and
# runc 1.5.3 passes, then what a kubelet does, with crictl (tests/cri).
# containerd, crictl and critest are built once into .cache/cri-*/bin
# (scripts/deps.sh cri); e.g. TESTFLAGS="-run TestCrictl" for the crictl
# scenarios alone (tests/cri/README.md). test-cri-vm: the same on a
# cgroup v2 + systemd node (SystemdCgroup = true) in the VM lane.
.PHONY: test-cri test-cri-vm
test-cri: runc $(ROOTFS)
	@scripts/deps.sh test
	@scripts/deps.sh cri >/dev/null
	RUNC_BINARY=$(CURDIR)/runc BUSYBOX_ROOTFS=$(CURDIR)/$(ROOTFS) \
		RUNC_REFERENCE=$$(scripts/deps.sh reference) CRI_BIN=$$(scripts/deps.sh cri) \
		$(GO) test -count=1 -timeout 90m -v $(TESTFLAGS) ./tests/cri/

bench: runc $(ROOTFS)
	@scripts/deps.sh bench
	scripts/bench.sh

# make timeline: the milestones of a `runc run`, from the kernel's
# tracepoints (perf), median ms since runc's execve.
timeline: runc $(ROOTFS)
	@scripts/deps.sh timeline
	scripts/timeline.sh

# make lint: golangci-lint (.golangci.yml: gofumpt, govet, staticcheck,
# errorlint, unparam, nolintlint, ...) and clang-format for the C stage.
.PHONY: lint
lint:
	@scripts/deps.sh lint
	clang-format --dry-run -Werror libcontainer/nsenter/*.c libcontainer/nsenter/*.h
	.cache/tools/golangci-lint run ./...
	# runc's own build links no C: its seccomp side (helper_linux.go) too
	CGO_ENABLED=0 .cache/tools/golangci-lint run ./libcontainer/seccomp/...

clean:
	rm -rf runc runc.faults $(INITBIN) $(INITBIN).faults $(SECCOMPBIN) $(ROOTFS) .cache man/man8 release

FORCE:
