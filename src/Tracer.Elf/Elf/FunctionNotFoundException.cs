namespace Tracer.Elf;

/// <summary>Thrown by <see cref="ElfFile.FindFunction"/> when no symbol source has the function.</summary>
public sealed class FunctionNotFoundException : Exception
{
    /// <summary>Creates the exception; <paramref name="reason"/> says what each source lacked.</summary>
    public FunctionNotFoundException(string functionName, string reason) : base(reason)
    {
        FunctionName = functionName;
        Reason = reason;
    }

    /// <summary>The name that was looked up.</summary>
    public string FunctionName { get; }

    /// <summary>Why it was not found, per source (.symtab, .dynsym, pclntab).</summary>
    public string Reason { get; }
}
