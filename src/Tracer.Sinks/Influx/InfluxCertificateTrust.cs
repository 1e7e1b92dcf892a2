using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tracer.Sinks;

/// <summary>
/// Which server certificates the writer accepts: those the system trusts, and those that chain to a private CA
/// given in a PEM file (<see cref="InfluxWriterOptions.CaFile"/>). A refused certificate is remembered in words
/// (its subject, its issuer and why) so that the failed request can be reported as the configuration error it
/// is, not as an unreachable server.
/// </summary>
internal sealed class InfluxCertificateTrust
{
    private readonly X509Certificate2Collection? _roots;
    private readonly string? _caFile;
    private readonly string _host;
    private string? _lastFailure;

    public InfluxCertificateTrust(string? caFile, Uri url)
    {
        _caFile = caFile;
        _host = url.Host;
        _roots = caFile is null ? null : Load(caFile);
    }

    /// <summary>The certificates of a PEM file; <see cref="ArgumentException"/> with one line if it has none or cannot be read.</summary>
    public static X509Certificate2Collection Load(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"cannot read the InfluxDB CA file {path}: {e.Message}");
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"the InfluxDB CA file {path} is not a PEM certificate file: {e.Message}");
        }
        if (roots.Count == 0)
            throw new ArgumentException($"the InfluxDB CA file {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return roots;
    }

    /// <summary>
    /// Why the last certificate was refused (null: none was). Every request the refusal failed gets the same words,
    /// whichever asks first (the start-up check or a write), so the one configuration error is reported once.
    /// </summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>The TLS handshake's verdict (<see cref="RemoteCertificateValidationCallback"/>).</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return Refuse("the server sent no TLS certificate");
        using var cert = new X509Certificate2(certificate);
        string who = $"the TLS certificate \"{cert.Subject}\" (issued by \"{cert.Issuer}\")";
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return Refuse($"{who} does not name the host {_host}; use a URL with a name the certificate carries");
        if (_roots is null)
            return Refuse($"{who} is not trusted: {ChainReason(chain)}; give the CA that signed it with --influx-ca FILE");
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(_roots);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
            foreach (var element in chain.ChainElements)
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
        if (custom.Build(cert))
            return true;
        return Refuse($"{who} is not trusted: {ChainReason(custom)} (neither by the system nor by the CA in {_caFile})");
    }

    private bool Refuse(string why)
    {
        Volatile.Write(ref _lastFailure, why);
        return false;
    }

    private static string ChainReason(X509Chain? chain)
    {
        var reasons = chain?.ChainStatus.Select(s => s.StatusInformation.Trim().TrimEnd('.')).Where(s => s.Length > 0).Distinct().ToList();
        return reasons is { Count: > 0 } ? string.Join("; ", reasons) : "its chain does not lead to a trusted CA";
    }
}
