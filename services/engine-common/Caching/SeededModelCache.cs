namespace Omni.Common.Caching;

/// <summary>
/// Where the built-in models (random weights from a fixed seed, written once as ordinary checkpoints) are cached, and
/// how they get there: the AR stage's and the diffusion stage's default models each live in their own versioned
/// subdirectory of one cache root.
/// </summary>
public static class SeededModelCache
{
    public const string CacheEnvironmentVariable = "OMNI_CACHE_DIR";

    /// <summary>
    /// The cache root: <paramref name="cacheDirectory"/>, else <c>$OMNI_CACHE_DIR</c>, else <c>~/.cache/omni/models</c>
    /// (<c>$TMPDIR/omni/models</c> when there is no home directory).
    /// </summary>
    public static string ResolveRoot(string? cacheDirectory)
    {
        if (!string.IsNullOrWhiteSpace(cacheDirectory))
        {
            return cacheDirectory;
        }

        var fromEnvironment = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return fromEnvironment;
        }

        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home)
            ? Path.Combine(Path.GetTempPath(), "omni", "models")
            : Path.Combine(home, ".cache", "omni", "models");
    }

    /// <summary>
    /// Returns &lt;root&gt;/<paramref name="directoryName"/> (the root as <see cref="ResolveRoot"/> gives it), writing it
    /// first with <paramref name="writeTo"/> when one of <paramref name="requiredFiles"/> is missing there. The files
    /// are written to a private staging directory beside it that is then renamed into place, so concurrent processes
    /// never see (or produce) a half-written model; the loser of a race keeps the winner's copy, which is identical
    /// (the writer is deterministic). An incomplete leftover in the way is replaced.
    /// </summary>
    /// <param name="writeTo">Writes the checkpoint into the directory it is given (which it may have to create).</param>
    public static string EnsureCreated(
        string? cacheDirectory, string directoryName, IReadOnlyCollection<string> requiredFiles, Action<string> writeTo)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directoryName);
        ArgumentNullException.ThrowIfNull(requiredFiles);
        ArgumentNullException.ThrowIfNull(writeTo);

        var root = ResolveRoot(cacheDirectory);
        var target = Path.Combine(root, directoryName);
        if (IsComplete(target, requiredFiles))
        {
            return target;
        }

        Directory.CreateDirectory(root);
        var staging = Path.Combine(root, $".{directoryName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            writeTo(staging);
            Publish(staging, target, requiredFiles);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }

        return target;
    }

    private static void Publish(string staging, string target, IReadOnlyCollection<string> requiredFiles)
    {
        try
        {
            Directory.Move(staging, target);
        }
        catch (IOException) when (IsComplete(target, requiredFiles))
        {
            // Another process published the same deterministic checkpoint first.
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // An incomplete leftover (not one of ours: ours appear complete, by rename); replace it.
            Directory.Delete(target, recursive: true);
            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (IsComplete(target, requiredFiles))
            {
                // Another process replaced it first.
            }
        }
    }

    private static bool IsComplete(string directory, IReadOnlyCollection<string> requiredFiles) =>
        requiredFiles.All(file => File.Exists(Path.Combine(directory, file)));
}
