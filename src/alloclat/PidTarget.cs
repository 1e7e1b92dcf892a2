using System.Globalization;
using Tracer.Core;

namespace Alloclat.Cli;

/// <summary>
/// Refuses a <c>-p</c> target that can never make a traced call: a kernel thread (no user memory, no executable)
/// or a zombie (exited, waiting for its parent to reap it). Either would be traced for nothing, in silence.
/// </summary>
internal static class PidTarget
{
    private const uint PF_KTHREAD = 0x00200000;

    public static void Check(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AlloclatException(ReturnCode.ProcessNotFound, $"process {pid} does not exist");
        }
        // pid (comm) state ppid pgrp session tty_nr tpgid flags ...: comm may hold spaces and parentheses.
        int close = stat.LastIndexOf(')');
        string comm = stat[(stat.IndexOf('(') + 1)..close];
        var fields = stat[(close + 2)..].Split(' ');
        char state = fields[0][0];
        uint flags = uint.Parse(fields[6], CultureInfo.InvariantCulture);
        if ((flags & PF_KTHREAD) != 0)
            throw new AlloclatException(ReturnCode.ProcessNotFound,
                $"process {pid} ({comm}) is a kernel thread: it has no user memory and makes no allocation to trace");
        if (state is 'Z' or 'X')
            throw new AlloclatException(ReturnCode.ProcessNotFound,
                $"process {pid} ({comm}) is a zombie: it has exited and waits for its parent to reap it; there is nothing left to trace");
    }
}
