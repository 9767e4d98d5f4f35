using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Omni.Common.Hosting;

/// <summary>Ends an HTTP/2 gRPC call from middleware, before any handler runs, with a status in the trailers as gRPC does.</summary>
public static class GrpcStatusResponse
{
    public static void Write(HttpContext context, StatusCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.AppendTrailer("grpc-status", ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.Response.AppendTrailer("grpc-message", Uri.EscapeDataString(message));
    }
}
