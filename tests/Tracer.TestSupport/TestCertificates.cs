using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tracer.TestSupport;

/// <summary>
/// A private CA and a server certificate it signed (for 127.0.0.1 and localhost), made in the test with .NET's
/// <see cref="CertificateRequest"/>; the CA is also written as a PEM file, as a user would pass it.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates(string caName = "alloclat test CA", string serverName = "alloclat test server")
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest($"CN={serverName}", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var signed = serverRequest.Create(Ca, now.AddHours(-1), now.AddDays(7), serial);
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        // Through PKCS#12, so that the key is usable by the TLS stack whatever the platform.
        Server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        ServerSubject = Server.Subject;

        Directory = Path.Combine(Path.GetTempPath(), "alloclat-tls-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        CaFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem() + "\n");
    }

    public X509Certificate2 Ca { get; }

    /// <summary>The server certificate with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary><c>CN=...</c> of the server certificate, as messages name it.</summary>
    public string ServerSubject { get; }

    public string Directory { get; }

    /// <summary>The CA certificate as a PEM file.</summary>
    public string CaFile { get; }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
