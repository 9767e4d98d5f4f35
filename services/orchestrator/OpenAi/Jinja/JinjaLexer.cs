using System.Text;

namespace Omni.Orchestrator.OpenAi.Jinja;

/// <summary>A piece of a template: literal text, an output <c>{{ }}</c>, or a statement <c>{% %}</c>.</summary>
internal abstract record Segment
{
    public sealed record Text(string Value) : Segment;

    public sealed record Output(string Expression) : Segment;

    public sealed record Statement(string Body) : Segment;
}

/// <summary>
/// Splits a template into segments with Jinja's whitespace control, as Hugging Face compiles chat templates
/// (<c>trim_blocks</c> and <c>lstrip_blocks</c> on): <c>-</c> strips the whitespace on its side, the newline right after a
/// statement is dropped, and spaces before a statement at the start of a line are dropped. Comments <c>{# #}</c> go.
/// </summary>
internal static class JinjaLexer
{
    public static List<Segment> Split(string template)
    {
        var segments = new List<Segment>();
        var text = new StringBuilder();
        var i = 0;
        var trimNextNewline = false;
        var stripNextLeading = false;
        while (i < template.Length)
        {
            var open = IndexOfTag(template, i);
            var literal = template[i..(open < 0 ? template.Length : open)];
            if (stripNextLeading)
            {
                literal = literal.TrimStart();
                stripNextLeading = false;
            }
            else if (trimNextNewline)
            {
                literal = literal.StartsWith("\r\n", StringComparison.Ordinal) ? literal[2..] : literal.StartsWith('\n') ? literal[1..] : literal;
            }
            trimNextNewline = false;
            if (open < 0)
            {
                text.Append(literal);
                break;
            }
            var kind = template[open + 1];
            var close = kind switch { '{' => "}}", '%' => "%}", _ => "#}" };
            var end = template.IndexOf(close, open + 2, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new JinjaException($"A tag opened at offset {open} is never closed.");
            }
            var inner = template[(open + 2)..end];
            var stripBefore = inner.StartsWith('-');
            var stripAfter = inner.EndsWith('-');
            inner = inner[(stripBefore ? 1 : 0)..(inner.Length - (stripAfter ? 1 : 0))];
            if (stripBefore)
            {
                literal = literal.TrimEnd();
            }
            else if (kind != '{' && !inner.StartsWith('+'))
            {
                // lstrip_blocks: spaces and tabs between the line's start and a block tag go.
                var lineStart = literal.LastIndexOf('\n') + 1;
                if (literal[lineStart..].All(c => c is ' ' or '\t') && (lineStart > 0 || text.Length == 0 || EndsWithNewline(text, segments)))
                {
                    literal = literal[..lineStart];
                }
            }
            text.Append(literal);
            if (text.Length > 0)
            {
                segments.Add(new Segment.Text(text.ToString()));
                text.Clear();
            }
            switch (kind)
            {
                case '{':
                    segments.Add(new Segment.Output(inner.Trim()));
                    break;
                case '%':
                    segments.Add(new Segment.Statement(inner.Trim()));
                    trimNextNewline = !stripAfter; // trim_blocks
                    break;
                default:
                    trimNextNewline = !stripAfter;
                    break;
            }
            stripNextLeading = stripAfter;
            i = end + 2;
        }
        if (text.Length > 0)
        {
            segments.Add(new Segment.Text(text.ToString()));
        }
        return segments;
    }

    private static bool EndsWithNewline(StringBuilder text, List<Segment> segments) =>
        text.Length > 0 ? text[^1] == '\n' : segments.Count == 0 || segments[^1] is Segment.Text { Value: var value } && value.EndsWith('\n');

    private static int IndexOfTag(string template, int from)
    {
        for (var i = from; i < template.Length - 1; i++)
        {
            if (template[i] == '{' && template[i + 1] is '{' or '%' or '#')
            {
                return i;
            }
        }
        return -1;
    }
}
