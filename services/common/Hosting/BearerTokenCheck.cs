using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Omni.Common.Hosting;

/// <summary>
/// Requires <c>authorization: Bearer TOKEN</c> on every request whose path starts with one of the prefixes (the public
/// API's gRPC service, the HTTP door's routes), before anything else reads the request; other paths (health, reflection)
/// stay open for probes. Refused requests get UNAUTHENTICATED, or whatever <c>reject</c> answers. The comparison takes
/// the same time whatever the token sent.
/// </summary>
public static class BearerTokenCheck
{
    public static IApplicationBuilder UseBearerToken(this IApplicationBuilder app, string? token, IReadOnlyList<string> servicePrefixes,
        Func<HttpContext, string, Task>? reject = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (token is null)
        {
            return app;
        }
        var expected = Encoding.UTF8.GetBytes(token);
        return app.Use(async (context, next) =>
        {
            var path = context.Request.Path.Value ?? "";
            // Routing matches a path's literal segments in any case (/V1/..., /OMNI.V1.OMNI/...): so does this check.
            if (!servicePrefixes.Any(prefix => path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            var header = context.Request.Headers.Authorization.ToString();
            const string scheme = "Bearer ";
            var sent = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[scheme.Length..].Trim()) : [];
            if (CryptographicOperations.FixedTimeEquals(sent, expected))
            {
                await next(context).ConfigureAwait(false);
                return;
            }
            var message = header.Length == 0 ? "This API needs authorization: Bearer <token>." : "The bearer token is not valid.";
            if (reject is null)
            {
                GrpcStatusResponse.Write(context, StatusCode.Unauthenticated, message);
            }
            else
            {
                await reject(context, message).ConfigureAwait(false);
            }
        });
    }
}
