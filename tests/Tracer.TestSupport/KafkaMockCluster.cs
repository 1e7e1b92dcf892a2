using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;

namespace Tracer.TestSupport;

/// <summary>
/// A Kafka cluster for tests: librdkafka's mock cluster (<c>test.mock.num.brokers=3</c>), started inside the test
/// process. It speaks the real Kafka protocol on loopback ports, so collectors, aggregators and kcat connect to it as
/// to any cluster; <see cref="Bootstraps"/> lists its brokers. Brokers are taken down and up with the mock cluster's
/// own controls (<c>rd_kafka_mock_broker_set_down</c>/<c>_up</c>), reached through librdkafka's C API.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    public const int Brokers = 3;

    private readonly IntPtr _rk;
    private readonly IntPtr _mcluster;

    static KafkaMockCluster() => NativeLibrary.SetDllImportResolver(typeof(KafkaMockCluster).Assembly, Resolve);

    public KafkaMockCluster()
    {
        var conf = Native.rd_kafka_conf_new();
        Set(conf, "test.mock.num.brokers", Brokers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Set(conf, "log_level", "3");
        var err = new byte[512];
        _rk = Native.rd_kafka_new(0, conf, err, err.Length);
        if (_rk == IntPtr.Zero)
            throw new InvalidOperationException("rd_kafka_new failed: " + Text(err));
        _mcluster = Native.rd_kafka_handle_mock_cluster(_rk);
        if (_mcluster == IntPtr.Zero)
            throw new InvalidOperationException("librdkafka created no mock cluster");
        Bootstraps = Marshal.PtrToStringUTF8(Native.rd_kafka_mock_cluster_bootstraps(_mcluster))!;
        if (!Bootstraps.Split(',').All(b => b.StartsWith("127.0.0.1:", StringComparison.Ordinal) || b.StartsWith("localhost:", StringComparison.Ordinal)))
            throw new InvalidOperationException($"the mock cluster listens beyond loopback: {Bootstraps}");
    }

    /// <summary>host:port of every broker, comma-separated, for <c>bootstrap.servers</c>.</summary>
    public string Bootstraps { get; }

    public void CreateTopic(string topic, int partitions, int replicationFactor = Brokers) =>
        Check(Native.rd_kafka_mock_topic_create(_mcluster, topic, partitions, replicationFactor), $"creating topic {topic}");

    /// <summary>Makes <paramref name="brokerId"/> (1 to 3) the leader of a partition.</summary>
    public void SetLeader(string topic, int partition, int brokerId) =>
        Check(Native.rd_kafka_mock_partition_set_leader(_mcluster, topic, partition, brokerId), $"moving {topic}/{partition} to broker {brokerId}");

    /// <summary>The broker stops answering: its connections are closed and new ones refused until <see cref="BrokerUp"/>.</summary>
    public void BrokerDown(int brokerId) => Check(Native.rd_kafka_mock_broker_set_down(_mcluster, brokerId), $"taking broker {brokerId} down");

    public void BrokerUp(int brokerId) => Check(Native.rd_kafka_mock_broker_set_up(_mcluster, brokerId), $"bringing broker {brokerId} up");

    public void Dispose() => Native.rd_kafka_destroy(_rk);

    private static void Set(IntPtr conf, string name, string value)
    {
        var err = new byte[512];
        if (Native.rd_kafka_conf_set(conf, name, value, err, err.Length) != 0)
            throw new InvalidOperationException($"rd_kafka_conf_set {name}: {Text(err)}");
    }

    private static void Check(int error, string what)
    {
        if (error != 0)
            throw new InvalidOperationException($"{what}: {Marshal.PtrToStringUTF8(Native.rd_kafka_err2str(error))}");
    }

    private static string Text(byte[] buffer) => Encoding.UTF8.GetString(buffer, 0, Math.Max(0, Array.IndexOf(buffer, (byte)0)));

    /// <summary>The librdkafka that Confluent.Kafka ships (librdkafka.redist) next to the tests, else the system's.</summary>
    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Native.Library)
            return IntPtr.Zero;
        foreach (var candidate in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "librdkafka.so"),
            "librdkafka.so.1",
        })
            if (NativeLibrary.TryLoad(candidate, out var handle))
                return handle;
        return IntPtr.Zero;
    }

    private static class Native
    {
        public const string Library = "rdkafka";

        [DllImport(Library)] public static extern IntPtr rd_kafka_conf_new();

        [DllImport(Library)]
        public static extern int rd_kafka_conf_set(IntPtr conf, [MarshalAs(UnmanagedType.LPUTF8Str)] string name,
            [MarshalAs(UnmanagedType.LPUTF8Str)] string value, byte[] errstr, nint errstrSize);

        /// <summary><c>rd_kafka_t *rd_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *errstr, size_t errstr_size)</c></summary>
        [DllImport(Library)] public static extern IntPtr rd_kafka_new(int type, IntPtr conf, byte[] errstr, nint errstrSize);

        [DllImport(Library)] public static extern void rd_kafka_destroy(IntPtr rk);

        [DllImport(Library)] public static extern IntPtr rd_kafka_handle_mock_cluster(IntPtr rk);

        [DllImport(Library)] public static extern IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr mcluster);

        [DllImport(Library)]
        public static extern int rd_kafka_mock_topic_create(IntPtr mcluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partitions, int replicationFactor);

        [DllImport(Library)]
        public static extern int rd_kafka_mock_partition_set_leader(IntPtr mcluster, [MarshalAs(UnmanagedType.LPUTF8Str)] string topic, int partition, int brokerId);

        [DllImport(Library)] public static extern int rd_kafka_mock_broker_set_down(IntPtr mcluster, int brokerId);

        [DllImport(Library)] public static extern int rd_kafka_mock_broker_set_up(IntPtr mcluster, int brokerId);

        [DllImport(Library)] public static extern IntPtr rd_kafka_err2str(int err);
    }
}
