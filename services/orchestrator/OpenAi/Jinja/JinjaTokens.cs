using System.Globalization;
using System.Text;

namespace Omni.Orchestrator.OpenAi.Jinja;

internal enum TokenKind
{
    Name,
    String,
    Number,
    Operator,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, object? Value = null);

/// <summary>The tokens of one expression or statement body.</summary>
internal sealed class JinjaTokens
{
    private static readonly string[] Operators = ["==", "!=", "<=", ">=", "//", "**", "(", ")", "[", "]", "{", "}", ",", ":", ".", "|", "+", "-", "*", "/", "%", "~", "<", ">", "="];

    private readonly List<Token> _tokens = [];
    private int _position;

    public JinjaTokens(string source)
    {
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < source.Length && (char.IsLetterOrDigit(source[i]) || source[i] == '_'))
                {
                    i++;
                }
                _tokens.Add(new Token(TokenKind.Name, source[start..i]));
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < source.Length && (char.IsDigit(source[i]) || source[i] == '.' && i + 1 < source.Length && char.IsDigit(source[i + 1])))
                {
                    i++;
                }
                var text = source[start..i];
                // Boxed apart: one conditional expression would widen the integer to a double.
                var value = text.Contains('.', StringComparison.Ordinal)
                    ? (object)double.Parse(text, CultureInfo.InvariantCulture)
                    : long.Parse(text, CultureInfo.InvariantCulture);
                _tokens.Add(new Token(TokenKind.Number, text, value));
            }
            else if (c is '\'' or '"')
            {
                var value = new StringBuilder();
                i++;
                while (i < source.Length && source[i] != c)
                {
                    if (source[i] == '\\' && i + 1 < source.Length)
                    {
                        i++;
                        value.Append(source[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var other => other });
                    }
                    else
                    {
                        value.Append(source[i]);
                    }
                    i++;
                }
                if (i >= source.Length)
                {
                    throw new JinjaException($"An unterminated string in '{source}'.");
                }
                i++;
                _tokens.Add(new Token(TokenKind.String, value.ToString(), value.ToString()));
            }
            else
            {
                var op = Operators.FirstOrDefault(candidate => string.CompareOrdinal(source, i, candidate, 0, candidate.Length) == 0)
                    ?? throw new JinjaException($"Unexpected '{c}' in '{source}'.");
                _tokens.Add(new Token(TokenKind.Operator, op));
                i += op.Length;
            }
        }
    }

    public Token Peek(int ahead = 0) => _position + ahead < _tokens.Count ? _tokens[_position + ahead] : new Token(TokenKind.End, "");

    public Token Next()
    {
        var token = Peek();
        _position++;
        return token;
    }

    public bool AtEnd => _position >= _tokens.Count;

    /// <summary>Consumes the token if it is the operator or keyword <paramref name="text"/>.</summary>
    public bool Accept(string text)
    {
        var token = Peek();
        if (token.Kind is TokenKind.Operator or TokenKind.Name && token.Text == text)
        {
            _position++;
            return true;
        }
        return false;
    }

    public void Expect(string text)
    {
        if (!Accept(text))
        {
            throw new JinjaException($"Expected '{text}', found '{Peek().Text}'.");
        }
    }

    public string ExpectName()
    {
        var token = Next();
        return token.Kind == TokenKind.Name ? token.Text : throw new JinjaException($"Expected a name, found '{token.Text}'.");
    }
}
