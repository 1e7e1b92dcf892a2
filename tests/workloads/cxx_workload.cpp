// C++ allocation with exactly known counts, for the tests of operator new and delete.
//
//   cxx_workload N
//
// N times each, every block 64 KiB (glibc serves it from the heap) and freed at once:
//   new T / delete (sized), new (std::nothrow) T / delete, aligned new of an over-aligned T / aligned delete,
//   new char[] / delete[].
// Built three times: over libstdc++ and glibc, and linked with jemalloc and with tcmalloc, whose own operators win.
#include <cstdio>
#include <cstdlib>
#include <new>

namespace {
constexpr std::size_t Size = 64 * 1024;

struct Block {
	char bytes[Size];
};

struct alignas(256) AlignedBlock {
	char bytes[Size];
};

template <typename T> void touch(T *p)
{
	reinterpret_cast<volatile char *>(p)[0] = 1;
	reinterpret_cast<volatile char *>(p)[Size - 1] = 1;
}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		std::fprintf(stderr, "usage: cxx_workload N\n");
		return 2;
	}
	long n = std::atol(argv[1]);
	for (long i = 0; i < n; i++) {
		Block *b = new Block;
		touch(b);
		delete b;
		Block *q = new (std::nothrow) Block;
		if (!q)
			return 1;
		touch(q);
		delete q;
		AlignedBlock *a = new AlignedBlock;
		touch(a);
		delete a;
		char *c = new char[Size];
		touch(c);
		delete[] c;
	}
	std::printf("cxx_workload: done %ld\n", n);
	return 0;
}
