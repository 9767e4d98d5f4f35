namespace Omni.Common.Hosting;

/// <summary>The public API's optional bearer-token check, bound from the "Auth" section.</summary>
public sealed class BearerTokenOptions
{
    public const string SectionName = "Auth";

    /// <summary>The token clients must send as <c>authorization: Bearer TOKEN</c>; empty: no check.</summary>
    public string? BearerToken { get; set; }

    /// <summary>A file holding the token (a mounted Secret), read at start; wins over <see cref="BearerToken"/>.</summary>
    public string? BearerTokenFile { get; set; }

    /// <summary>The configured token, or null when the API is open.</summary>
    public string? Resolve()
    {
        if (!string.IsNullOrWhiteSpace(BearerTokenFile))
        {
            var fromFile = File.ReadAllText(BearerTokenFile).Trim();
            return fromFile.Length > 0 ? fromFile : throw new InvalidOperationException($"Auth:BearerTokenFile {BearerTokenFile} is empty.");
        }
        return string.IsNullOrWhiteSpace(BearerToken) ? null : BearerToken.Trim();
    }
}
