# syntax=docker/dockerfile:1
# The alloclat collector. Three stages: the BPF object (clang), the .NET app (which embeds that object), and a
# runtime image with libbpf. The BPF program is CO-RE: it is compiled against the type dump of one kernel
# (vmlinux.h) and relocated by libbpf at load time to the kernel it runs on, so the dump only has to come from
# some kernel with BTF. It is taken from build/vmlinux.h when the build context has it (`make bpf` on the host
# writes it), else dumped from /sys/kernel/btf/vmlinux of the machine running the build.

FROM debian:bookworm AS bpf
ARG TARGETARCH
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends clang llvm libbpf-dev bpftool >/dev/null \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY bpf/ bpf/
COPY . /context
RUN mkdir -p build \
 && if [ -s /context/build/vmlinux.h ]; then \
      cp /context/build/vmlinux.h build/vmlinux.h; \
    elif [ -r /sys/kernel/btf/vmlinux ]; then \
      bpftool btf dump file /sys/kernel/btf/vmlinux format c > build/vmlinux.h; \
    else \
      echo "no kernel BTF to build against: run 'make bpf' on a Linux host with /sys/kernel/btf/vmlinux, then build again" >&2; \
      exit 1; \
    fi \
 && case "${TARGETARCH:-amd64}" in arm64) arch=arm64 ;; *) arch=x86 ;; esac \
 && clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_${arch} -Ibuild -Ibpf -c bpf/alloclat.bpf.c -o build/alloclat.bpf.o

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS app
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY --from=bpf /src/build/alloclat.bpf.o build/alloclat.bpf.o
RUN dotnet publish src/alloclat/alloclat.csproj -c Release -o /out --nologo -v quiet

FROM mcr.microsoft.com/dotnet/runtime:10.0
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends libbpf1 >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY --from=app /out /opt/alloclat
VOLUME /var/lib/alloclat
WORKDIR /var/lib/alloclat
ENTRYPOINT ["/opt/alloclat/alloclat"]
CMD ["record", "--help"]
