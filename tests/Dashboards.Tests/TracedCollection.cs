namespace Dashboards.Tests;

/// <summary>Tests that read the database the traced runs filled; the runs happen once for all of them.</summary>
[CollectionDefinition(Name)]
public sealed class TracedCollection : ICollectionFixture<TracedDatabase>
{
    public const string Name = "traced database";
}
