using System.Reflection;

namespace Omni.Cli.Launching;

/// <summary>
/// Finds each service's entry assembly: $OMNI_SERVICES_DIR/&lt;AssemblyName&gt;.dll or
/// $OMNI_SERVICES_DIR/&lt;service&gt;/&lt;AssemblyName&gt;.dll when set (published layouts), else the build output
/// next to this tool's sources.
/// </summary>
public static class ServiceBinaries
{
    public static string Locate(ServiceKind service)
    {
        var overrideRoot = Environment.GetEnvironmentVariable("OMNI_SERVICES_DIR");
        if (!string.IsNullOrEmpty(overrideRoot))
        {
            foreach (var candidate in new[]
            {
                Path.Combine(overrideRoot, service.AssemblyName + ".dll"),
                Path.Combine(overrideRoot, service.Name, service.AssemblyName + ".dll"),
            })
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
            throw new FileNotFoundException($"{service.AssemblyName}.dll is not under OMNI_SERVICES_DIR={overrideRoot}.");
        }

        var metadata = typeof(ServiceBinaries).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .ToDictionary(attribute => attribute.Key, attribute => attribute.Value);
        var root = metadata.GetValueOrDefault("Omni.ServicesRoot") ?? throw new InvalidOperationException("The services root is not known.");
        var configuration = metadata.GetValueOrDefault("Omni.Configuration") ?? "Debug";
        var path = Path.Combine(root, service.ProjectFolder, "bin", configuration, "net10.0", service.AssemblyName + ".dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{path} does not exist; build the solution first (dotnet build Omni.sln -c {configuration}).");
    }
}
