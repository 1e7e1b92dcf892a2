using System.Globalization;

namespace Tracer.Native;

/// <summary>
/// The fields of <c>/proc/PID/stat</c> that say what a process is: its name, its state letter and its flags.
/// </summary>
/// <param name="Comm">the kernel's name of the process (the executable's file name, cut to 15 bytes)</param>
/// <param name="State">R, S, D, T, t, Z, X, ...</param>
/// <param name="Flags">the kernel's <c>PF_*</c> flags of the process</param>
public readonly record struct ProcessStat(string Comm, char State, uint Flags)
{
    /// <summary>PF_KTHREAD in the kernel's include/linux/sched.h: the task is a kernel thread.</summary>
    private const uint KernelThreadFlag = 0x00200000;

    /// <summary>A kernel thread: no user memory, no executable.</summary>
    public bool IsKernelThread => (Flags & KernelThreadFlag) != 0;

    /// <summary>Exited, and not reaped by its parent yet (Z), or being reaped (X).</summary>
    public bool IsZombie => State is 'Z' or 'X';

    /// <summary>The process's stat, or null when it does not exist (or has just been reaped).</summary>
    public static ProcessStat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return Parse(text);
    }

    /// <summary>
    /// Parses <c>pid (comm) state ppid pgrp session tty_nr tpgid flags ...</c>; comm may hold spaces and
    /// parentheses, so it ends at the last <c>)</c>. Null when the text is not of that form.
    /// </summary>
    public static ProcessStat? Parse(string text)
    {
        int open = text.IndexOf('(', StringComparison.Ordinal);
        int close = text.LastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= text.Length)
            return null;
        var fields = text[(close + 2)..].Split(' ');
        if (fields.Length < 7 || fields[0].Length == 0
            || !uint.TryParse(fields[6], NumberStyles.None, CultureInfo.InvariantCulture, out uint flags))
            return null;
        return new ProcessStat(text[(open + 1)..close], fields[0][0], flags);
    }
}
