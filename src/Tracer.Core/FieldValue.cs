using System.Globalization;

namespace Tracer.Core;

/// <summary>The type of a <see cref="FieldValue"/>, matching the field types of line protocol.</summary>
public enum FieldKind
{
    Integer,
    Float,
    String,
    Boolean,
}

/// <summary>
/// One field value of an <see cref="EventPoint"/>: a 64-bit integer, a double, a string or a boolean. A struct
/// with implicit conversions so points can be built as <c>new("value", 42L)</c> without boxing.
/// </summary>
public readonly record struct FieldValue
{
    private readonly long _integer;
    private readonly double _float;
    private readonly string? _string;

    private FieldValue(FieldKind kind, long integer, double @float, string? @string)
    {
        Kind = kind;
        _integer = integer;
        _float = @float;
        _string = @string;
    }

    public FieldKind Kind { get; }

    /// <summary>The value of an integer or boolean field (booleans read as 0 or 1).</summary>
    public long Integer => Kind is FieldKind.Integer or FieldKind.Boolean ? _integer : throw WrongKind(FieldKind.Integer);

    public double Float => Kind == FieldKind.Float ? _float : throw WrongKind(FieldKind.Float);

    public string String => Kind == FieldKind.String ? _string ?? "" : throw WrongKind(FieldKind.String);

    public bool Boolean => Kind == FieldKind.Boolean ? _integer != 0 : throw WrongKind(FieldKind.Boolean);

    public static FieldValue FromInteger(long value) => new(FieldKind.Integer, value, 0, null);

    public static FieldValue FromFloat(double value) => new(FieldKind.Float, 0, value, null);

    public static FieldValue FromString(string value) => new(FieldKind.String, 0, 0, value ?? "");

    public static FieldValue FromBoolean(bool value) => new(FieldKind.Boolean, value ? 1 : 0, 0, null);

    public static implicit operator FieldValue(long value) => FromInteger(value);

    public static implicit operator FieldValue(double value) => FromFloat(value);

    public static implicit operator FieldValue(string value) => FromString(value);

    public static implicit operator FieldValue(bool value) => FromBoolean(value);

    public override string ToString() => Kind switch
    {
        FieldKind.Integer => _integer.ToString(CultureInfo.InvariantCulture),
        FieldKind.Float => _float.ToString("R", CultureInfo.InvariantCulture),
        FieldKind.Boolean => _integer != 0 ? "true" : "false",
        _ => _string ?? "",
    };

    private InvalidOperationException WrongKind(FieldKind wanted) => new($"field is {Kind}, not {wanted}");
}
