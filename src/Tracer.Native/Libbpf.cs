using System.Runtime.InteropServices;
using System.Text;
using Tracer.Native.Interop;

namespace Tracer.Native;

/// <summary>Process-wide libbpf state: the version check and libbpf's own log messages.</summary>
public static unsafe class Libbpf
{
    public const int RequiredMajor = 1;
    public const int RequiredMinor = 0;

    private static readonly object s_gate = new();
    private static readonly Queue<string> s_recent = new();
    private static bool s_initialised;

    /// <summary>When set, libbpf's INFO messages are written here too (warnings always are kept).</summary>
    public static TextWriter? Log { get; set; }

    public static bool Verbose { get; set; }

    public static Version Version { get; private set; } = new(0, 0);

    /// <summary>
    /// Loads libbpf and checks its version once. Throws <see cref="LibbpfUnavailableException"/> when the library is
    /// missing or too old.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (s_gate)
        {
            if (s_initialised)
                return;
            try
            {
                // The version first: an old library may lack the other entry points, and "too old" is the answer.
                Version = new Version((int)NativeMethods.libbpf_major_version(), (int)NativeMethods.libbpf_minor_version());
                if (Version < new Version(RequiredMajor, RequiredMinor))
                    throw new LibbpfUnavailableException(
                        $"libbpf {Version} is too old; alloclat needs libbpf {RequiredMajor}.{RequiredMinor} or newer");
                NativeMethods.libbpf_set_print(&OnPrint);
            }
            catch (DllNotFoundException)
            {
                throw new LibbpfUnavailableException(
                    $"{NativeMethods.LibBpf} could not be loaded: install libbpf 1.x (Debian/Ubuntu: apt-get install libbpf1)");
            }
            catch (EntryPointNotFoundException e)
            {
                throw new LibbpfUnavailableException(
                    $"{NativeMethods.LibBpf} is too old ({e.Message}); alloclat needs libbpf {RequiredMajor}.{RequiredMinor} or newer");
            }
            s_initialised = true;
        }
    }

    public static int PossibleCpus
    {
        get
        {
            int n = NativeMethods.libbpf_num_possible_cpus();
            if (n <= 0)
                throw new LibbpfException("libbpf_num_possible_cpus", -n);
            return n;
        }
    }

    /// <summary>The last warnings libbpf printed (verifier and attach failures explain themselves there).</summary>
    public static string RecentMessages()
    {
        lock (s_recent)
            return string.Join(Environment.NewLine, s_recent);
    }

    internal static int LastErrno() => Marshal.GetLastPInvokeError();

    [UnmanagedCallersOnly]
    private static int OnPrint(int level, byte* format, nint args)
    {
        const int Info = 1;
        if (level > Info || (level == Info && !Verbose))
            return 0;
        byte* buf = stackalloc byte[2048];
        int n = NativeMethods.vsnprintf(buf, 2048, format, args);
        if (n <= 0)
            return 0;
        string text = Encoding.UTF8.GetString(buf, Math.Min(n, 2047)).TrimEnd('\n');
        lock (s_recent)
        {
            s_recent.Enqueue(text);
            while (s_recent.Count > 40)
                s_recent.Dequeue();
        }
        if (level == Info || Verbose)
            Log?.WriteLine($"libbpf: {text}");
        return 0;
    }
}
