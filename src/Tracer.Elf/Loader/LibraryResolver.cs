namespace Tracer.Elf.Loader;

/// <summary>
/// Predicts which shared libraries <c>ld.so</c> (glibc, x86-64) loads for an executable, so probes
/// can be attached to the allocator the process really uses. Search order per DT_NEEDED name:
/// LD_PRELOAD and /etc/ld.so.preload entries first (as extra roots), then DT_RPATH of the requester
/// and its loaders (only when the requester has no DT_RUNPATH), LD_LIBRARY_PATH, the requester's
/// DT_RUNPATH, /etc/ld.so.cache, and the default directories.
/// </summary>
/// <remarks>
/// Not modelled: glibc-hwcaps subdirectories and hwcap cache entries (chosen by CPU features),
/// secure-execution (setuid) restrictions, and dlopen()ed libraries.
/// </remarks>
public sealed class LibraryResolver
{
    private const string PreloadRequester = "LD_PRELOAD";
    private readonly LibraryResolverOptions _options;
    private LdSoCache? _cache;
    private bool _cacheLoaded;

    /// <summary>Creates a resolver with Debian x86-64 defaults.</summary>
    public LibraryResolver() : this(new LibraryResolverOptions())
    {
    }

    /// <summary>Creates a resolver with explicit system facts.</summary>
    public LibraryResolver(LibraryResolverOptions options) => _options = options;

    /// <summary>
    /// Resolves the DT_NEEDED closure of <paramref name="executablePath"/>, reading LD_LIBRARY_PATH
    /// and LD_PRELOAD from <paramref name="environment"/> (null: no variables set). Missing
    /// libraries are reported in <see cref="LibraryResolution.Unresolved"/>, never thrown.
    /// </summary>
    /// <exception cref="ElfFormatException">The executable itself is not a supported ELF file.</exception>
    /// <exception cref="IOException">The executable cannot be read.</exception>
    /// <exception cref="LdCacheFormatException">The cache file exists but is corrupt.</exception>
    public LibraryResolution Resolve(string executablePath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var session = new Session(this, environment ?? new Dictionary<string, string>());
        return session.Run(executablePath);
    }

    private LdSoCache? Cache
    {
        get
        {
            if (!_cacheLoaded)
            {
                _cache = _options.CachePath is { } path && File.Exists(path) ? LdSoCache.Load(path) : null;
                _cacheLoaded = true;
            }
            return _cache;
        }
    }

    private sealed class LoadedObject(string path, string realPath, ElfDynamicInfo dynamic, string origin, LoadedObject? loader)
    {
        public string Path { get; } = path;
        public string RealPath { get; } = realPath;
        public ElfDynamicInfo Dynamic { get; } = dynamic;
        public string Origin { get; } = origin;
        public LoadedObject? Loader { get; } = loader;
        public HashSet<string> Names { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Session(LibraryResolver owner, IReadOnlyDictionary<string, string> environment)
    {
        private readonly LibraryResolverOptions _options = owner._options;
        private readonly List<LoadedObject> _loaded = [];
        private readonly List<ResolvedLibrary> _libraries = [];
        private readonly List<UnresolvedLibrary> _unresolved = [];
        private readonly HashSet<string> _missing = new(StringComparer.Ordinal);
        private LoadedObject _main = null!;
        private LoadedObject? _interpreter;

        private string WorkingDirectory => _options.WorkingDirectory ?? Directory.GetCurrentDirectory();

        public LibraryResolution Run(string executablePath)
        {
            string? interpreter;
            using (var exe = ElfFile.Open(Absolute(executablePath)))
            {
                interpreter = exe.Interpreter;
                string real = RealPath.Resolve(Absolute(executablePath));
                // ld.so takes the executable's $ORIGIN from /proc/self/exe, which has symlinks resolved.
                _main = new LoadedObject(executablePath, real, exe.Dynamic, Path.GetDirectoryName(real)!, null);
            }
            _loaded.Add(_main);

            if (interpreter is not null && TryOpen(Absolute(interpreter), out var interpDynamic, out _))
            {
                _interpreter = new LoadedObject(interpreter, RealPath.Resolve(Absolute(interpreter)), interpDynamic!, DirectoryOf(interpreter), null);
                _interpreter.Names.Add(interpreter);
                if (interpDynamic!.Soname is { } soname)
                    _interpreter.Names.Add(soname);
                _loaded.Add(_interpreter);
            }

            var queue = new Queue<LoadedObject>();
            queue.Enqueue(_main);
            foreach (var (name, requester) in PreloadNames())
            {
                var preloaded = Load(name, _main, requester, isPreload: true);
                if (preloaded is not null)
                    queue.Enqueue(preloaded);
            }

            while (queue.Count > 0)
            {
                var obj = queue.Dequeue();
                if (obj == _interpreter)
                    continue;
                foreach (var needed in obj.Dynamic.Needed)
                {
                    var dependency = Load(needed, obj, obj.Path, isPreload: false);
                    if (dependency is not null)
                        queue.Enqueue(dependency);
                }
            }
            return new LibraryResolution(executablePath, interpreter, _libraries, _unresolved);
        }

        private IEnumerable<(string Name, string Requester)> PreloadNames()
        {
            if (environment.TryGetValue("LD_PRELOAD", out var env))
            {
                foreach (var name in env.Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries))
                    yield return (name, PreloadRequester);
            }
            if (_options.PreloadFilePath is { } file && File.Exists(file))
            {
                foreach (var name in File.ReadAllText(file).Split([' ', '\t', '\n', '\r', ':'], StringSplitOptions.RemoveEmptyEntries))
                    yield return (name, file);
            }
        }

        /// <summary>Returns the newly loaded object, or null when already loaded or not found.</summary>
        private LoadedObject? Load(string name, LoadedObject requester, string requestedBy, bool isPreload)
        {
            if (FindLoaded(name) is { } existing)
            {
                if (existing == _interpreter && !_libraries.Any(l => l.Path == existing.Path))
                    _libraries.Add(new ResolvedLibrary(name, existing.Path, existing.Dynamic.Soname, LibrarySearchSource.Interpreter, requestedBy, isPreload));
                existing.Names.Add(name);
                return null;
            }
            if (_missing.Contains(name))
                return null;

            var tried = new List<string>();
            foreach (var (candidate, source) in Candidates(name, requester))
            {
                string absolute = Absolute(candidate);
                if (!File.Exists(absolute))
                {
                    tried.Add(candidate);
                    continue;
                }
                if (!TryOpen(absolute, out var dynamic, out string? why))
                {
                    tried.Add($"{candidate} ({why})");
                    continue;
                }

                string real = RealPath.Resolve(absolute);
                if (_loaded.FirstOrDefault(o => o.RealPath == real) is { } same)
                {
                    same.Names.Add(name);
                    return null;
                }
                // A relative path (LD_PRELOAD=build/lib.so) is opened from the working directory, and is mapped
                // under its absolute path: that is the library's path.
                var obj = new LoadedObject(absolute, real, dynamic!, DirectoryOf(absolute), requester);
                obj.Names.Add(name);
                obj.Names.Add(candidate);
                if (dynamic!.Soname is { } soname)
                    obj.Names.Add(soname);
                _loaded.Add(obj);
                _libraries.Add(new ResolvedLibrary(name, absolute, dynamic.Soname, source, requestedBy, isPreload));
                return obj;
            }

            _missing.Add(name);
            _unresolved.Add(new UnresolvedLibrary(name, requestedBy, tried));
            return null;
        }

        private LoadedObject? FindLoaded(string name) =>
            _loaded.FirstOrDefault(o => o != _main && o.Names.Contains(name));

        private IEnumerable<(string Path, LibrarySearchSource Source)> Candidates(string name, LoadedObject requester)
        {
            if (name.Contains('/'))
            {
                yield return (ExpandTokens(name, requester.Origin), LibrarySearchSource.DirectPath);
                yield break;
            }

            if (requester.Dynamic.Runpath is null)
            {
                for (var l = requester; l is not null; l = l.Loader)
                {
                    foreach (var dir in RpathDirectories(l))
                        yield return (Join(dir, name), LibrarySearchSource.Rpath);
                }
            }

            if (environment.TryGetValue("LD_LIBRARY_PATH", out var llp))
            {
                foreach (var dir in SplitPath(llp, ":;"))
                    yield return (Join(ExpandTokens(dir, _main.Origin), name), LibrarySearchSource.LdLibraryPath);
            }

            if (requester.Dynamic.Runpath is { } runpath)
            {
                foreach (var dir in SplitPath(runpath, ":"))
                    yield return (Join(ExpandTokens(dir, requester.Origin), name), LibrarySearchSource.Runpath);
            }

            bool noDefaultLib = (requester.Dynamic.Flags1 & ElfDynamicInfo.Flags1NoDefaultLib) != 0;
            if (owner.Cache?.Lookup(name) is { } cached && !(noDefaultLib && IsDefaultDirectory(DirectoryOf(cached))))
                yield return (cached, LibrarySearchSource.Cache);

            if (!noDefaultLib)
            {
                foreach (var dir in _options.DefaultDirectories)
                    yield return (Join(dir, name), LibrarySearchSource.DefaultDirectory);
            }
        }

        /// <summary>
        /// glibc drops the executable's DT_RPATH when it also has DT_RUNPATH, but reads a library's
        /// DT_RPATH on the loader-chain walk whatever else it has.
        /// </summary>
        private IEnumerable<string> RpathDirectories(LoadedObject obj) =>
            obj.Dynamic.Rpath is { } rpath && !(obj == _main && obj.Dynamic.Runpath is not null)
                ? SplitPath(rpath, ":").Select(d => ExpandTokens(d, obj.Origin))
                : [];

        private bool IsDefaultDirectory(string dir) => _options.DefaultDirectories.Contains(dir.TrimEnd('/'));

        private string ExpandTokens(string path, string origin) =>
            path.Replace("${ORIGIN}", origin).Replace("$ORIGIN", origin)
                .Replace("${LIB}", _options.Lib).Replace("$LIB", _options.Lib)
                .Replace("${PLATFORM}", _options.Platform).Replace("$PLATFORM", _options.Platform);

        /// <summary>An empty element means the current directory, as in the shell's PATH.</summary>
        private static IEnumerable<string> SplitPath(string list, string separators) =>
            list.Split(separators.ToCharArray()).Select(d => d.Length == 0 ? "." : d);

        private static string Join(string dir, string name)
        {
            string trimmed = dir.Length > 1 ? dir.TrimEnd('/') : dir;
            return trimmed == "/" ? "/" + name : trimmed + "/" + name;
        }

        private string Absolute(string path) => Path.IsPathRooted(path) ? path : Path.Combine(WorkingDirectory, path);

        private static string DirectoryOf(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash <= 0 ? "/" : path[..slash];
        }

        /// <summary>ld.so skips files of another class or machine and keeps searching; so does this.</summary>
        private static bool TryOpen(string path, out ElfDynamicInfo? dynamic, out string? why)
        {
            try
            {
                using var elf = ElfFile.Open(path);
                dynamic = elf.Dynamic;
                why = null;
                return true;
            }
            catch (Exception e) when (e is ElfFormatException or IOException or UnauthorizedAccessException)
            {
                dynamic = null;
                why = e.Message;
                return false;
            }
        }
    }
}
