using System.Runtime.ExceptionServices;

namespace Omni.Common.Torch;

/// <summary>
/// Runs a model load on a short-lived thread of its own. libgomp (libtorch's OpenMP) gives every thread that starts
/// parallel work a team of worker threads, and once it manages more threads than there are cores it stops spinning
/// between parallel regions, so that every operator then pays for waking its workers: with the model loaded on the
/// caller's thread and served from an engine loop's, a 256x256 diffusion step at batch 1 took about 40 ms instead of
/// 22 ms on 2 cores. The loading thread's team goes away when it exits, which leaves the serving thread the only team.
/// </summary>
public static class OwnThread
{
    public static T Run<T>(string name, Func<T> load)
    {
        ArgumentNullException.ThrowIfNull(load);
        T? result = default;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = load();
            }
            catch (Exception exception)
            {
                failure = ExceptionDispatchInfo.Capture(exception);
            }
        })
        {
            Name = name,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result!;
    }
}
