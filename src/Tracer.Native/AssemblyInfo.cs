using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Tracer.Native.Tests")]
