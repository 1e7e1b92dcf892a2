# alloclat: `sudo make run` traces the bundled demo; `sudo make test` runs every test. Both install what they need.
SHELL := /bin/bash
BUILD := build
CLANG ?= clang
BPFTOOL ?= bpftool
DOTNET ?= dotnet
CONFIG ?= Release
ARCH := x86

# Debian/Ubuntu packages the build, the tests and the demo need.
PACKAGES := clang llvm libbpf-dev libbpf1 bpftool libelf-dev zlib1g-dev gcc g++ make binutils strace \
	libjemalloc-dev libgoogle-perftools-dev libmimalloc-dev golang-go influxdb victoria-metrics kcat chromium tmux \
	postgresql nginx bpftrace

WORKLOADS := $(BUILD)/workloads/alloc_workload $(BUILD)/workloads/alloc_workload_jemalloc \
	$(BUILD)/workloads/alloc_workload_tcmalloc $(BUILD)/workloads/alloc_workload_mimalloc \
	$(BUILD)/workloads/libslowalloc.so $(BUILD)/workloads/cause_workload $(BUILD)/workloads/named_threads $(BUILD)/demo/alloc_demo \
	$(BUILD)/workloads/goalloc $(BUILD)/workloads/goalloc_stripped $(BUILD)/workloads/gogc $(BUILD)/demo/go_demo \
	$(BUILD)/workloads/dotnet/gcwork.dll $(BUILD)/workloads/commit_workload $(BUILD)/workloads/fork_workload \
	$(BUILD)/workloads/map_workload $(BUILD)/workloads/libcountalloc.so \
	$(BUILD)/workloads/cxx_workload $(BUILD)/workloads/cxx_workload_jemalloc $(BUILD)/workloads/cxx_workload_tcmalloc \
	$(BUILD)/workloads/brk_workload $(BUILD)/workloads/libdelaymalloc.so $(BUILD)/workloads/large_alloc

# Go builds use the Debian toolchain, the standard library only, and caches inside build/.
GO_ENV := GOCACHE=$(CURDIR)/$(BUILD)/gocache GOPATH=$(CURDIR)/$(BUILD)/gopath GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local
GO_SOURCES := $(wildcard tests/workloads/go/*/*.go) tests/workloads/go/go.mod

.PHONY: all deps bpf workloads build run test clean go-matrix go-release

all: build

deps: $(BUILD)/.deps

$(BUILD)/.deps: Makefile
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v $(DOTNET) >/dev/null || { echo "the .NET SDK 10 is needed (dotnet on PATH)"; exit 1; }
	@touch $@

bpf: $(BUILD)/alloclat.bpf.o $(BUILD)/BpfNames.g.cs

$(BUILD)/vmlinux.h: | deps
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# One file per concern (bpf/*.bpf.c over the shared bpf/*.h), compiled apart and statically linked into the one
# object the collector embeds; maps declared in several files become one map.
BPF_UNITS := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(wildcard bpf/*.bpf.c))

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(BUILD)/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -Wall -target bpf -D__TARGET_ARCH_$(ARCH) -I$(BUILD) -Ibpf -c $< -o $@

$(BUILD)/alloclat.bpf.o: $(BPF_UNITS)
	$(BPFTOOL) gen object $@ $^

# The program and map names the C# side uses, and checks of its operation numbers and stat indexes, generated from
# the object and the header: a rename in bpf/ breaks the build of Tracer.Probes, not a run.
$(BUILD)/BpfNames.g.cs: $(BUILD)/alloclat.bpf.o bpf/alloclat.h scripts/bpf-names
	BPFTOOL=$(BPFTOOL) scripts/bpf-names $(BUILD)/alloclat.bpf.o bpf/alloclat.h > $@.tmp && mv $@.tmp $@

workloads: $(WORKLOADS)

$(BUILD)/workloads/alloc_workload: tests/workloads/alloc_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -o $@ $<

$(BUILD)/workloads/cxx_workload: tests/workloads/cxx_workload.cpp | deps
	@mkdir -p $(@D)
	g++ -O2 -g -Wall -std=c++17 -o $@ $<

# Linked with the allocator, whose own operator new and delete then serve the program.
$(BUILD)/workloads/cxx_workload_%: tests/workloads/cxx_workload.cpp | deps
	@mkdir -p $(@D)
	g++ -O2 -g -Wall -std=c++17 -o $@ $< -l$*

$(BUILD)/workloads/map_workload: tests/workloads/map_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $<

$(BUILD)/workloads/fork_workload: tests/workloads/fork_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -o $@ $<

$(BUILD)/workloads/commit_workload: tests/workloads/commit_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $<

$(BUILD)/workloads/brk_workload: tests/workloads/brk_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $<

$(BUILD)/workloads/alloc_workload_%: tests/workloads/alloc_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -o $@ $< -l$*

$(BUILD)/workloads/cause_workload: tests/workloads/cause_workload.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -o $@ $< -lpthread

$(BUILD)/workloads/named_threads: tests/workloads/named_threads.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -pthread -o $@ $<

$(BUILD)/workloads/libslowalloc.so: tests/workloads/slowalloc.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -shared -fPIC -o $@ $<

# The bench's zero-delay LD_PRELOAD malloc (each call's own duration written out) and its loop, for the test of the
# probes' calibrated cost.
$(BUILD)/workloads/libdelaymalloc.so: bench/programs/delaymalloc.c bench/programs/clock.h | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -shared -fPIC -o $@ $<

$(BUILD)/workloads/large_alloc: bench/programs/large_alloc.c bench/programs/clock.h | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $<

$(BUILD)/workloads/libcountalloc.so: tests/workloads/countalloc.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -shared -fPIC -o $@ $<

$(BUILD)/demo/alloc_demo: demo/alloc_demo.c | deps
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -fno-omit-frame-pointer -o $@ $<

$(BUILD)/workloads/goalloc $(BUILD)/workloads/gogc $(BUILD)/demo/go_demo: $(GO_SOURCES) | deps
	@mkdir -p $(@D)
	cd tests/workloads/go && $(GO_ENV) go build -o $(CURDIR)/$@ ./$(patsubst go_%,go%,$(notdir $@))

# The same program without symbol table or DWARF: functions must be found through pclntab.
$(BUILD)/workloads/goalloc_stripped: $(GO_SOURCES) | deps
	@mkdir -p $(@D)
	cd tests/workloads/go && $(GO_ENV) go build -ldflags='-s -w' -o $(CURDIR)/$@ ./goalloc

# The Go version matrix (tests/alloclat.Tests/GoMatrixTests.cs): one workload built by every toolchain in every
# mode. Toolchains newer than bookworm's come from Debian's archive (scripts/go-toolchains).
GO_MATRIX_VERSIONS := 1.19 1.22 1.24 1.26 1.27
GO_MATRIX_MODES := plain stripped pie cgo
GO_MATRIX := $(foreach v,$(GO_MATRIX_VERSIONS),$(foreach m,$(GO_MATRIX_MODES),$(BUILD)/go-matrix/go$(v)/gomatrix-$(m)))
GO_MATRIX_FLAGS_plain := CGO_ENABLED=0 -
GO_MATRIX_FLAGS_stripped := CGO_ENABLED=0 -ldflags=-s\ -w
GO_MATRIX_FLAGS_pie := CGO_ENABLED=0 -buildmode=pie -ldflags=-s\ -w
GO_MATRIX_FLAGS_cgo := CGO_ENABLED=1 -tags=alloclat_cgo -ldflags=-s\ -w

$(BUILD)/.go-toolchains: scripts/go-toolchains | deps
	scripts/go-toolchains $(filter-out 1.19,$(GO_MATRIX_VERSIONS))
	@touch $@

define go_matrix_cell
$(BUILD)/go-matrix/go$(1)/gomatrix-$(2): $(wildcard tests/workloads/go/gomatrix/*.go) tests/workloads/go/go.mod | $(BUILD)/.go-toolchains
	@mkdir -p $$(@D)
	cd tests/workloads/go && $(GO_ENV) GOCACHE=$(CURDIR)/$(BUILD)/gocache-$(1) $(firstword $(GO_MATRIX_FLAGS_$(2))) \
		/usr/lib/go-$(1)/bin/go build $(filter-out -,$(wordlist 2,9,$(GO_MATRIX_FLAGS_$(2)))) -o $(CURDIR)/$$@ ./gomatrix
endef
$(foreach v,$(GO_MATRIX_VERSIONS),$(foreach m,$(GO_MATRIX_MODES),$(eval $(call go_matrix_cell,$(v),$(m)))))

go-matrix: $(GO_MATRIX)

# Go release binaries nobody here built, from npm at pinned versions.
GO_RELEASES := @bufbuild/buf-linux-x64@1.75.0 lefthook-linux-x64@2.2.2
$(BUILD)/go-release/.installed: Makefile | deps
	@mkdir -p $(@D)
	@command -v npm >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends npm >/dev/null
	npm install --prefix $(CURDIR)/$(@D) --no-save --no-audit --no-fund --no-package-lock $(GO_RELEASES) >/dev/null
	@touch $@

go-release: $(BUILD)/go-release/.installed

# Continues the processes the collector stopped at exec when the collector is killed (installed next to it).
$(BUILD)/alloclat-guard: native/alloclat-guard.c bpf/alloclat.h | deps
	gcc -O2 -g -Wall -Ibpf -o $@ $<

# A .NET program with known collections and large-object allocations (framework-dependent: `dotnet gcwork.dll`
# and its apphost `gcwork`), built with the SDK on the machine.
$(BUILD)/workloads/dotnet/gcwork.dll: $(wildcard tests/workloads/dotnet/gcwork/*.cs tests/workloads/dotnet/gcwork/*.csproj) | deps
	$(DOTNET) build tests/workloads/dotnet/gcwork/gcwork.csproj -c Release -o $(@D) --nologo -v quiet

# Functions of known cost the probes' own cost is calibrated on at start (installed next to the collector).
$(BUILD)/liballoclat-calib.so: native/alloclat-calib.c | deps
	gcc -O2 -Wall -shared -fPIC -o $@ $<

# The collector is precompiled (ReadyToRun): it starts without compiling its code first, and, with tiered
# compilation off (src/alloclat/alloclat.csproj), never recompiles it in the background while a target runs.
build: deps bpf workloads $(BUILD)/alloclat-guard $(BUILD)/liballoclat-calib.so
	$(DOTNET) publish src/alloclat/alloclat.csproj -c $(CONFIG) -o $(BUILD)/publish --nologo -v quiet \
		-r linux-x64 --self-contained false -p:PublishReadyToRun=true
	install -m 0755 $(BUILD)/alloclat-guard $(BUILD)/publish/alloclat-guard
	install -m 0644 $(BUILD)/liballoclat-calib.so $(BUILD)/publish/liballoclat-calib.so
	@mkdir -p bin && ln -sf ../$(BUILD)/publish/alloclat bin/alloclat
	@echo "built bin/alloclat"

$(BUILD)/demo/run-demo.sh: demo/run-demo.sh
	@mkdir -p $(@D)
	cp $< $@

run: build $(BUILD)/demo/run-demo.sh
	bin/alloclat record --output $(BUILD)/demo.lp -- $(BUILD)/demo/run-demo.sh 15

test: build go-matrix go-release
	$(DOTNET) build Tracer.sln -c $(CONFIG) --nologo -v quiet
	@DOTNET=$(DOTNET) scripts/run-tests $(BUILD) $(CONFIG); \
	status=$$?; scripts/test-summary $(BUILD)/test.log $(BUILD)/test-results || status=1; exit $$status

clean:
	rm -rf $(BUILD) bin src/*/bin src/*/obj tests/*/bin tests/*/obj

# Overhead, throughput and accuracy next to bpftrace and funclatency (bench/bench.mk): `make bench` writes
# bench/results/latest.json and BENCHMARKS.md; `make bench-quick` is a short smoke run; `make bench-soak` runs --all
# for 30 minutes under process churn (bench/results/soak.json, shown in BENCHMARKS.md by the next `make bench`).
.PHONY: bench bench-quick bench-section bench-soak
bench bench-quick bench-section bench-soak: build
	$(MAKE) -f bench/bench.mk BUILD=$(BUILD) DOTNET=$(DOTNET) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL) SECTION=$(SECTION) QUICK=$(QUICK) $@
