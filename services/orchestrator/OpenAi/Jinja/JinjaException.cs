namespace Omni.Orchestrator.OpenAi.Jinja;

/// <summary>A template that cannot be parsed, uses what this subset lacks, or raised an exception itself (<c>raise_exception</c>).</summary>
public sealed class JinjaException(string message, bool raisedByTemplate = false) : Exception(message)
{
    /// <summary>The template's own <c>raise_exception(...)</c>: it refuses its input (roles out of order, say).</summary>
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
