# Built and run by the root Makefile's `bench` and `bench-quick` targets (after `build`).
SHELL := /bin/bash
BUILD ?= build
DOTNET ?= dotnet
CLANG ?= clang
BPFTOOL ?= bpftool
OUT := $(BUILD)/bench
P := bench/programs
LIBS := 120
# The reference tools the figures are compared with; bpfcc-tools is tried as well and reported if it cannot run.
REFERENCE_PACKAGES := bpftrace libbpf-tools bpfcc-tools
# The Go releases gosmall is also built by (besides the machine's own Go, which builds gosmall).
GO_VERSIONS ?= 1.22 1.24 1.26 1.27

PROGRAMS := $(OUT)/small_alloc $(OUT)/large_alloc $(OUT)/large_alloc_jemalloc $(OUT)/mmap_storm \
	$(OUT)/libdelaymalloc.so $(OUT)/floor $(OUT)/manylibs $(OUT)/gosmall $(OUT)/golarge $(OUT)/dotnetsmall/dotnetsmall $(OUT)/fault_switch \
	$(foreach v,$(GO_VERSIONS),$(OUT)/gosmall-go$(v))

.PHONY: bench bench-quick bench-section bench-soak programs reference-tools driver

bench: programs reference-tools driver
	$(OUT)/driver/Alloclat.Bench --build $(BUILD) --json bench/results/latest.json --markdown BENCHMARKS.md

bench-quick: programs reference-tools driver
	$(OUT)/driver/Alloclat.Bench --quick --build $(BUILD) --json $(OUT)/quick.json

# One section alone, e.g. `make bench-section SECTION=counts` (QUICK=1: fewer rounds and calls). Sections: fast, large,
# goprobes, hostwide, counts, precisecost, demo, throughput, accuracy, attach, lifetimes, fleet (comma-separated for several).
bench-section: programs reference-tools driver
	$(OUT)/driver/Alloclat.Bench $(if $(QUICK),--quick) --only $(SECTION) --build $(BUILD) --json $(OUT)/section.json

# Half an hour of --all under process churn: RSS at 1, 10 and 30 minutes (SOAK_MINUTES to change the length).
SOAK_MINUTES ?= 30
bench-soak: driver
	$(OUT)/driver/Alloclat.Bench --only soak --soak-minutes $(SOAK_MINUTES) --build $(BUILD) --json bench/results/soak.json

programs: $(PROGRAMS)

reference-tools:
	@missing=$$(for p in $(REFERENCE_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get -o DPkg::Lock::Timeout=600 update -qq && \
		apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $$missing >/dev/null \
			|| echo "could not install $$missing; the bench reports what it cannot run"; \
	fi

driver:
	$(DOTNET) publish bench/Alloclat.Bench/Alloclat.Bench.csproj -c Release -o $(OUT)/driver --nologo -v quiet

$(OUT)/%: $(P)/%.c $(P)/clock.h
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $< -lpthread

$(OUT)/large_alloc_jemalloc: $(P)/large_alloc.c $(P)/clock.h
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -o $@ $< -ljemalloc

$(OUT)/libdelaymalloc.so: $(P)/delaymalloc.c $(P)/clock.h
	@mkdir -p $(@D)
	gcc -O2 -g -Wall -shared -fPIC -o $@ $<

$(OUT)/floor.bpf.o: $(P)/floor.bpf.c
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -Wall -target bpf -I/usr/include/x86_64-linux-gnu -c $< -o $@

$(OUT)/floor.skel.h: $(OUT)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/floor: $(P)/floor.c $(OUT)/floor.skel.h
	gcc -O2 -g -Wall -I$(OUT) -o $@ $< -lbpf

# One object linked under LIBS sonames: the loader maps each, and a tracer has that many libraries to inspect.
$(OUT)/libs/.done: $(P)/benchlib.c
	@mkdir -p $(@D)
	gcc -O2 -fPIC -c -o $(OUT)/libs/benchlib.o $<
	for i in $$(seq 1 $(LIBS)); do gcc -shared -o $(OUT)/libs/libbench$$i.so $(OUT)/libs/benchlib.o -Wl,-soname,libbench$$i.so; done
	touch $@

$(OUT)/manylibs: $(P)/manylibs.c $(P)/clock.h $(OUT)/libs/.done
	gcc -O2 -g -Wall -o $@ $< -L$(OUT)/libs -Wl,--no-as-needed $$(for i in $$(seq 1 $(LIBS)); do echo -lbench$$i; done) \
		-Wl,-rpath,$(abspath $(OUT)/libs)

$(OUT)/gosmall: bench/go/small/main.go bench/go/go.mod
	cd bench/go && go build -o $(abspath $@) ./small

$(OUT)/golarge: bench/go/large/main.go bench/go/go.mod
	cd bench/go && go build -o $(abspath $@) ./large

# gosmall built by each newer toolchain of the Go matrix (the root Makefile's GO_MATRIX_VERSIONS, from Debian's archive
# through scripts/go-toolchains), for the per-release program counts of section 8.
$(OUT)/gosmall-go%: bench/go/small/main.go bench/go/go.mod
	@test -x /usr/lib/go-$*/bin/go || scripts/go-toolchains $*
	cd bench/go && GOTOOLCHAIN=local GOCACHE=$(abspath $(BUILD))/gocache-$* /usr/lib/go-$*/bin/go build -o $(abspath $@) ./small

# A .NET program (apphost) making only small allocations.
$(OUT)/dotnetsmall/dotnetsmall: bench/dotnet/small/Program.cs bench/dotnet/small/dotnetsmall.csproj
	$(DOTNET) build bench/dotnet/small/dotnetsmall.csproj -c Release -o $(@D) --nologo -v quiet
