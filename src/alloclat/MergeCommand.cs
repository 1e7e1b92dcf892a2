using System.Buffers;
using Tracer.Core;
using Tracer.Fleet;

namespace Alloclat.Cli;

/// <summary><c>alloclat merge FILES...</c>: the fleet percentiles of .lp files written with --histograms, offline.</summary>
internal static class MergeCommand
{
    public const string Usage = """
        Usage: alloclat merge [-o FILE] [--interval TIME] FILES...

        Merges the histograms in line-protocol files written by 'alloclat record --histograms' (one per host, or
        several per host) per series and interval window, as 'alloclat aggregate' does, and writes
        alloc_latency_fleet (and gc_pause_fleet) line protocol to FILE or standard output. The same interval of the
        same host found twice is merged once.

        Options:
          -o, --output FILE   write here instead of standard output
              --interval TIME the collectors' interval (default 1s)

        Exit codes: 0 ok, 2 bad option, unreadable file or histogram line.
        """;

    public static int Run(IReadOnlyList<string> args, IConsole console)
    {
        string? output = null;
        var interval = TimeSpan.FromSeconds(1);
        var files = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw OptionParser.Bad($"option {args[i]} needs a value");
            switch (args[i])
            {
                case "-o" or "--output":
                    output = Value();
                    break;
                case "--interval":
                    interval = OptionParser.ParseDuration("--interval", Value());
                    break;
                case var a when a.StartsWith('-') && a.Length > 1:
                    throw OptionParser.Bad($"unknown option {a} (see 'alloclat merge --help')");
                default:
                    files.Add(args[i]);
                    break;
            }
        }
        if (files.Count == 0)
            throw OptionParser.Bad("merge needs at least one .lp file written with --histograms");
        var merge = new OfflineMerge(interval);
        foreach (var file in files)
        {
            if (!File.Exists(file))
                throw OptionParser.Bad($"no such file: {file}");
            try
            {
                merge.AddFile(file);
            }
            catch (FormatException e)
            {
                throw OptionParser.Bad(e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw OptionParser.Bad($"cannot read {file}: {e.Message}");
            }
        }
        if (merge.Messages == 0)
            throw OptionParser.Bad($"no histograms in {string.Join(", ", files)}: record with --histograms");
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        int points = merge.WriteTo(buffer);
        if (output is null)
        {
            using var stdout = Console.OpenStandardOutput();
            stdout.Write(buffer.WrittenSpan);
        }
        else
            File.WriteAllBytes(output, buffer.WrittenSpan.ToArray());
        console.Error.WriteLine($"[INFO] merged {merge.Messages} histograms from {files.Count} file(s) into {points} fleet points" +
            (merge.Duplicates > 0 ? $"; {merge.Duplicates} found twice, merged once" : ""));
        return (int)ReturnCode.Ok;
    }
}
