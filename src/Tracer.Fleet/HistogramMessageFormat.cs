using System.Buffers;
using System.Text.Json;

namespace Tracer.Fleet;

/// <summary>
/// The fleet message format, version 1 (docs/schema.md, "Fleet messages"): one JSON object in UTF-8 per message.
/// Readers accept fields they do not know (added within version 1) and refuse other versions.
/// </summary>
public static class HistogramMessageFormat
{
    /// <summary>Writes <paramref name="message"/> as one JSON object (no newline) into <paramref name="output"/>.</summary>
    public static void Write(HistogramMessage message, IBufferWriter<byte> output)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteNumber("version"u8, message.Version);
        w.WriteString("host"u8, message.Host);
        w.WriteNumber("sequence"u8, message.Sequence);
        w.WriteNumber("interval_start"u8, message.StartUnixNs);
        w.WriteNumber("interval_end"u8, message.EndUnixNs);
        w.WriteString("measurement"u8, message.Measurement);
        w.WriteStartObject("tags"u8);
        foreach (var (k, v) in message.Tags)
            w.WriteString(k, v);
        w.WriteEndObject();
        w.WriteNumber("count"u8, message.Count);
        w.WriteNumber("bytes"u8, message.Bytes);
        w.WriteBase64String("histogram"u8, message.Histogram);
        w.WriteEndObject();
    }

    public static byte[] Serialize(HistogramMessage message)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        Write(message, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads one message; <see cref="FormatException"/> naming what is wrong for anything else.</summary>
    public static HistogramMessage Parse(ReadOnlyMemory<byte> json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not a JSON fleet message: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException("a fleet message is a JSON object");
            int version = (int)Number(root, "version");
            if (version != HistogramMessage.CurrentVersion)
                throw new FormatException($"fleet message version {version} is not supported (this alloclat reads version {HistogramMessage.CurrentVersion})");
            if (!root.TryGetProperty("tags", out var tagsElement) || tagsElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("fleet message without 'tags' object");
            var tags = new List<KeyValuePair<string, string>>();
            foreach (var p in tagsElement.EnumerateObject())
                tags.Add(new(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new FormatException($"tag '{p.Name}' is not a string")));
            tags.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            byte[] histogram;
            try
            {
                histogram = Property(root, "histogram", JsonValueKind.String).GetBytesFromBase64();
            }
            catch (InvalidOperationException)
            {
                throw new FormatException("fleet message 'histogram' is not base64");
            }
            return new HistogramMessage(
                Property(root, "host", JsonValueKind.String).GetString()!,
                Number(root, "sequence"),
                Number(root, "interval_start"),
                Number(root, "interval_end"),
                Property(root, "measurement", JsonValueKind.String).GetString()!,
                tags,
                Number(root, "count"),
                Number(root, "bytes"),
                histogram) { Version = version };
        }
    }

    private static JsonElement Property(JsonElement root, string name, JsonValueKind kind) =>
        root.TryGetProperty(name, out var e) && e.ValueKind == kind ? e
            : throw new FormatException($"fleet message without '{name}' ({kind.ToString().ToLowerInvariant()})");

    private static long Number(JsonElement root, string name) =>
        Property(root, name, JsonValueKind.Number).TryGetInt64(out long v) ? v
            : throw new FormatException($"fleet message '{name}' is not a 64-bit integer");
}
