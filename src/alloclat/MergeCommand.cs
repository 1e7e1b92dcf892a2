using System.Buffers;
using Tracer.Core;
using Alloclat.Cli.CommandLine;
using Tracer.Fleet;

namespace Alloclat.Cli;

/// <summary><c>alloclat merge FILES...</c>: the fleet percentiles of .lp files written with --histograms, offline.</summary>
internal static class MergeCommand
{
    public static int Run(IReadOnlyList<string> files, string? output, TimeSpan interval, IConsole console)
    {
        if (files.Count == 0)
            throw Usage.Error("merge needs at least one .lp file written with --histograms");
        var merge = new OfflineMerge(interval);
        foreach (var file in files)
        {
            if (!File.Exists(file))
                throw Usage.Error($"no such file: {file}");
            try
            {
                merge.AddFile(file);
            }
            catch (FormatException e)
            {
                throw Usage.Error(e.Message);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Usage.Error($"cannot read {file}: {e.Message}");
            }
        }
        if (merge.Messages == 0)
            throw Usage.Error($"no histograms in {string.Join(", ", files)}: record with --histograms");
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
