namespace Tracer.Elf.Tests;

/// <summary>
/// A small shared library and programs built with gcc once per test run: a versioned library with
/// an ifunc, weak and local functions; programs using RUNPATH, RPATH, no search path, jemalloc,
/// a non-PIE build and a stripped copy.
/// </summary>
public sealed class NativeFixture : IDisposable
{
    private const string LibrarySource = """
        #include <stdlib.h>
        void *lib_alloc(size_t n) { return malloc(n); }
        void lib_free(void *p) { free(p); }
        static __attribute__((noinline)) int helper(int x) { return x > 5 ? x * 3 : x - 7; }
        int lib_use_helper(int x) { return helper(x) + 1; }
        __attribute__((weak)) int lib_weak(int x) { return x - 1; }
        static int impl_fast(int x) { return x << 1; }
        static int (*resolve_double(void))(int) { return impl_fast; }
        int lib_double(int) __attribute__((ifunc("resolve_double")));
        int compat_old(int x) { return x; }
        int compat_new(int x) { return x + 100; }
        __asm__(".symver compat_old,lib_compat@LIBALLOC_1.0");
        __asm__(".symver compat_new,lib_compat@@LIBALLOC_2.0");
        """;

    private const string VersionScript = """
        LIBALLOC_1.0 { global: lib_alloc; lib_free; lib_use_helper; lib_weak; lib_double; lib_compat; local: *; };
        LIBALLOC_2.0 { global: lib_compat; } LIBALLOC_1.0;
        """;

    private const string ProgramSource = """
        #include <stdio.h>
        #include <stdlib.h>
        void *lib_alloc(size_t); void lib_free(void *); int lib_double(int); int lib_compat(int);
        static int counter;
        __attribute__((noinline)) int prog_step(int x) { if (x > 10) return x; counter += x; return x * 2; }
        int main(int argc, char **argv) {
            void *p = lib_alloc(64); lib_free(p);
            printf("%d %d\n", lib_double(argc), prog_step(argc) + lib_compat(argc));
            return counter > 100;
        }
        """;

    private const string JemallocSource = """
        #include <stdio.h>
        #include <stdlib.h>
        #include <jemalloc/jemalloc.h>
        int main(void) { void *p = malloc(100); printf("%zu\n", malloc_usable_size(p)); free(p); return 0; }
        """;

    private readonly TempDirectory _dir = new("alloclat-elf-native-");

    public NativeFixture()
    {
        Directory.CreateDirectory(_dir.File("lib"));
        Directory.CreateDirectory(_dir.File("bin"));
        string lib = _dir.Write("src/lib.c", LibrarySource);
        string map = _dir.Write("src/lib.map", VersionScript);
        string prog = _dir.Write("src/prog.c", ProgramSource);
        string jm = _dir.Write("src/jm.c", JemallocSource);

        Gcc("-O1", "-fPIC", "-shared", "-Wl,-soname,liballoc.so.1", $"-Wl,--version-script={map}", "-Wl,--build-id", "-o", Library, lib);
        string[] link = ["-L" + _dir.File("lib"), "-l:liballoc.so.1"];
        Gcc(["-O1", "-Wl,--build-id", "-o", RunpathProgram, prog, .. link, "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"]);
        Gcc(["-O1", "-no-pie", "-o", RpathProgram, prog, .. link, "-Wl,--disable-new-dtags", "-Wl,-rpath,$ORIGIN/../lib"]);
        Gcc(["-O1", "-o", PlainProgram, prog, .. link]);
        Gcc("-O1", "-o", JemallocProgram, jm, "-ljemalloc");
        ProcessRunner.Run("strip", ["-o", StrippedProgram, RunpathProgram]);
    }

    public string Root => _dir.Path;

    public string Library => _dir.File("lib/liballoc.so.1");

    public string RunpathProgram => _dir.File("bin/prog_runpath");

    public string RpathProgram => _dir.File("bin/prog_rpath");

    public string PlainProgram => _dir.File("bin/prog_plain");

    public string JemallocProgram => _dir.File("bin/prog_jemalloc");

    public string StrippedProgram => _dir.File("bin/prog_stripped");

    public IEnumerable<string> AllBinaries => [Library, RunpathProgram, RpathProgram, PlainProgram, JemallocProgram, StrippedProgram];

    public string MakeDirectory(string name) => Directory.CreateDirectory(_dir.File(name)).FullName;

    private void Gcc(params string[] args) => ProcessRunner.Run("gcc", args, workingDirectory: _dir.Path, timeoutSeconds: 180);

    public void Dispose() => _dir.Dispose();
}
