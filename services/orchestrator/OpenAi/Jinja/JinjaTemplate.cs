using System.Collections;
using System.Globalization;
using System.Text;

namespace Omni.Orchestrator.OpenAi.Jinja;

/// <summary>
/// The subset of Jinja that Hugging Face chat templates use, rendered as <c>transformers</c>' <c>apply_chat_template</c>
/// renders them (<c>trim_blocks</c>, <c>lstrip_blocks</c>): text, <c>{{ }}</c>, <c>{% if/elif/else %}</c>,
/// <c>{% for x in y if c %}</c> with <c>loop</c>, <c>{% set %}</c> (also on a <c>namespace()</c>), the usual operators,
/// tests, filters and string and dict methods, <c>raise_exception</c>. Anything else (macros, blocks, includes) is
/// refused when the template is parsed, not silently skipped.
/// </summary>
public sealed class JinjaTemplate
{
    private delegate object? Expr(Scope scope);

    private readonly List<Node> _body;

    private JinjaTemplate(List<Node> body) => _body = body;

    public static JinjaTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var parser = new Parser(JinjaLexer.Split(source));
        var (body, end) = parser.Block([]);
        return end is null ? new JinjaTemplate(body) : throw new JinjaException($"Unexpected '{{% {end} %}}'.");
    }

    /// <summary>Renders with the given variables (strings, numbers, booleans, null, lists and string-keyed dictionaries of them).</summary>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var scope = new Scope(null);
        foreach (var (name, value) in Globals)
        {
            scope.Set(name, value);
        }
        foreach (var (name, value) in variables)
        {
            scope.Set(name, value);
        }
        var output = new StringBuilder();
        foreach (var node in _body)
        {
            node.Render(scope, output);
        }
        return output.ToString();
    }

    private static readonly Dictionary<string, object?> Globals = new()
    {
        ["raise_exception"] = new Function((args, _) => throw new JinjaException(JinjaValues.Print(args.FirstOrDefault()), raisedByTemplate: true)),
        ["namespace"] = new Function((_, kwargs) =>
        {
            var ns = new Namespace();
            foreach (var (key, value) in kwargs)
            {
                ns[key] = value;
            }
            return ns;
        }),
        ["range"] = new Function((args, _) =>
        {
            var (start, stop) = args.Count == 1 ? (0L, (long)args[0]!) : ((long)args[0]!, (long)args[1]!);
            var list = new List<object?>();
            for (var i = start; i < stop; i++)
            {
                list.Add(i);
            }
            return list;
        }),
        ["strftime_now"] = new Function((args, _) => StrftimeNow(JinjaValues.Print(args.FirstOrDefault()))),
    };

    private static string StrftimeNow(string format)
    {
        var now = DateTime.UtcNow;
        var text = new StringBuilder();
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 == format.Length)
            {
                text.Append(format[i]);
                continue;
            }
            text.Append(format[++i] switch
            {
                'd' => now.ToString("dd", CultureInfo.InvariantCulture),
                'm' => now.ToString("MM", CultureInfo.InvariantCulture),
                'Y' => now.ToString("yyyy", CultureInfo.InvariantCulture),
                'b' => now.ToString("MMM", CultureInfo.InvariantCulture),
                'B' => now.ToString("MMMM", CultureInfo.InvariantCulture),
                'H' => now.ToString("HH", CultureInfo.InvariantCulture),
                'M' => now.ToString("mm", CultureInfo.InvariantCulture),
                '%' => "%",
                var other => throw new JinjaException($"strftime_now does not know %{other}."),
            });
        }
        return text.ToString();
    }

    private sealed record Function(Func<List<object?>, Dictionary<string, object?>, object?> Invoke);

    private sealed record BoundMethod(object Target, string Name);

    private sealed class Scope(Scope? parent)
    {
        private readonly Dictionary<string, object?> _values = [];

        public object? Get(string name) =>
            _values.TryGetValue(name, out var value) ? value : parent is not null ? parent.Get(name) : Undefined.Value;

        public void Set(string name, object? value) => _values[name] = value;
    }

    private abstract class Node
    {
        public abstract void Render(Scope scope, StringBuilder output);
    }

    private sealed class TextNode(string text) : Node
    {
        public override void Render(Scope scope, StringBuilder output) => output.Append(text);
    }

    private sealed class OutputNode(Expr expression) : Node
    {
        public override void Render(Scope scope, StringBuilder output) => output.Append(JinjaValues.Print(expression(scope)));
    }

    private sealed class IfNode(List<(Expr Condition, List<Node> Body)> branches, List<Node>? otherwise) : Node
    {
        public override void Render(Scope scope, StringBuilder output)
        {
            foreach (var (condition, body) in branches)
            {
                if (JinjaValues.Truthy(condition(scope)))
                {
                    body.ForEach(node => node.Render(scope, output));
                    return;
                }
            }
            otherwise?.ForEach(node => node.Render(scope, output));
        }
    }

    private sealed class ForNode(string[] targets, Expr iterable, Expr? filter, List<Node> body, List<Node>? otherwise) : Node
    {
        public override void Render(Scope scope, StringBuilder output)
        {
            var items = Items(iterable(scope)).ToList();
            if (filter is not null)
            {
                items = [.. items.Where(item =>
                {
                    var probe = new Scope(scope);
                    Bind(probe, item);
                    return JinjaValues.Truthy(filter(probe));
                })];
            }
            if (items.Count == 0)
            {
                otherwise?.ForEach(node => node.Render(scope, output));
                return;
            }
            for (var i = 0; i < items.Count; i++)
            {
                var inner = new Scope(scope);
                Bind(inner, items[i]);
                inner.Set("loop", new Dictionary<string, object?>
                {
                    ["index"] = (long)i + 1,
                    ["index0"] = (long)i,
                    ["revindex"] = (long)(items.Count - i),
                    ["revindex0"] = (long)(items.Count - i - 1),
                    ["first"] = i == 0,
                    ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count,
                    ["previtem"] = i > 0 ? items[i - 1] : Undefined.Value,
                    ["nextitem"] = i < items.Count - 1 ? items[i + 1] : Undefined.Value,
                });
                body.ForEach(node => node.Render(inner, output));
            }
        }

        private void Bind(Scope scope, object? item)
        {
            if (targets.Length == 1)
            {
                scope.Set(targets[0], item);
                return;
            }
            var values = item as IList ?? throw new JinjaException($"Cannot unpack {JinjaValues.TypeName(item)} into {targets.Length} names.");
            for (var i = 0; i < targets.Length; i++)
            {
                scope.Set(targets[i], values[i]);
            }
        }
    }

    private sealed class SetNode(string name, string? attribute, Expr value) : Node
    {
        public override void Render(Scope scope, StringBuilder output)
        {
            if (attribute is null)
            {
                scope.Set(name, value(scope));
            }
            else if (scope.Get(name) is Namespace ns)
            {
                ns[attribute] = value(scope);
            }
            else
            {
                throw new JinjaException($"Cannot set an attribute of '{name}', which is not a namespace().");
            }
        }
    }

    private static IEnumerable<object?> Items(object? value) => value switch
    {
        null or Undefined => [],
        string text => text.Select(c => (object?)c.ToString()),
        IDictionary<string, object?> map => map.Keys,
        IEnumerable sequence => sequence.Cast<object?>(),
        _ => throw new JinjaException($"Cannot iterate over {JinjaValues.TypeName(value)}."),
    };

    private sealed class Parser(List<Segment> segments)
    {
        private int _next;

        /// <summary>Nodes up to one of the <paramref name="ends"/> statements (returned, with its body text) or the end.</summary>
        public (List<Node> Body, string? End) Block(string[] ends)
        {
            var nodes = new List<Node>();
            while (_next < segments.Count)
            {
                var segment = segments[_next++];
                switch (segment)
                {
                    case Segment.Text text:
                        nodes.Add(new TextNode(text.Value));
                        break;
                    case Segment.Output output:
                        nodes.Add(new OutputNode(Expressions.Parse(output.Expression)));
                        break;
                    case Segment.Statement statement:
                        var keyword = statement.Body.Split(' ', 2)[0];
                        if (ends.Contains(keyword))
                        {
                            return (nodes, statement.Body);
                        }
                        nodes.Add(Statement(keyword, statement.Body));
                        break;
                }
            }
            return (nodes, null);
        }

        private Node Statement(string keyword, string body)
        {
            var tokens = new JinjaTokens(body);
            tokens.Next();
            switch (keyword)
            {
                case "if":
                    {
                        var branches = new List<(Expr, List<Node>)>();
                        var condition = Expressions.Parse(tokens);
                        List<Node>? otherwise = null;
                        while (true)
                        {
                            var (nodes, end) = Block(["elif", "else", "endif"]);
                            branches.Add((condition, nodes));
                            switch (end?.Split(' ', 2)[0])
                            {
                                case "elif":
                                    var elif = new JinjaTokens(end);
                                    elif.Next();
                                    condition = Expressions.Parse(elif);
                                    continue;
                                case "else":
                                    (otherwise, end) = Block(["endif"]);
                                    return end is null ? throw new JinjaException("An if block is never closed.") : new IfNode(branches, otherwise);
                                case "endif":
                                    return new IfNode(branches, otherwise);
                                default:
                                    throw new JinjaException("An if block is never closed.");
                            }
                        }
                    }
                case "for":
                    {
                        var targets = new List<string> { tokens.ExpectName() };
                        while (tokens.Accept(","))
                        {
                            targets.Add(tokens.ExpectName());
                        }
                        tokens.Expect("in");
                        var iterable = Expressions.ParseOr(tokens);
                        var filter = tokens.Accept("if") ? Expressions.Parse(tokens) : null;
                        if (!tokens.AtEnd)
                        {
                            throw new JinjaException($"'{body}' is not supported (recursive loops are not).");
                        }
                        var (nodes, end) = Block(["else", "endfor"]);
                        List<Node>? otherwise = null;
                        if (end == "else")
                        {
                            (otherwise, end) = Block(["endfor"]);
                        }
                        return end is null ? throw new JinjaException("A for block is never closed.") : new ForNode([.. targets], iterable, filter, nodes, otherwise);
                    }
                case "set":
                    {
                        var name = tokens.ExpectName();
                        var attribute = tokens.Accept(".") ? tokens.ExpectName() : null;
                        if (!tokens.Accept("="))
                        {
                            throw new JinjaException($"'{{% {body} %}}' is not supported (only 'set name = value').");
                        }
                        return new SetNode(name, attribute, Expressions.Parse(tokens));
                    }
                case "generation" or "endgeneration":
                    // Hugging Face's marker of the assistant's tokens (for training masks); it renders nothing.
                    return new TextNode("");
                default:
                    throw new JinjaException($"'{{% {keyword} %}}' is not supported by this server's chat template renderer.");
            }
        }
    }

    /// <summary>Expressions, by precedence: conditional, or, and, not, comparisons and tests, ~, + -, * / // %, unary, postfix and filters.</summary>
    private static class Expressions
    {
        public static Expr Parse(string source)
        {
            var tokens = new JinjaTokens(source);
            var expression = Parse(tokens);
            return tokens.AtEnd ? expression : throw new JinjaException($"Unexpected '{tokens.Peek().Text}' in '{source}'.");
        }

        public static Expr Parse(JinjaTokens tokens)
        {
            var value = ParseOr(tokens);
            if (!tokens.Accept("if"))
            {
                return value;
            }
            var condition = ParseOr(tokens);
            Expr otherwise = tokens.Accept("else") ? Parse(tokens) : _ => Undefined.Value;
            return scope => JinjaValues.Truthy(condition(scope)) ? value(scope) : otherwise(scope);
        }

        public static Expr ParseOr(JinjaTokens tokens)
        {
            var left = ParseAnd(tokens);
            while (tokens.Accept("or"))
            {
                var (a, b) = (left, ParseAnd(tokens));
                left = scope => a(scope) is var first && JinjaValues.Truthy(first) ? first : b(scope);
            }
            return left;
        }

        private static Expr ParseAnd(JinjaTokens tokens)
        {
            var left = ParseNot(tokens);
            while (tokens.Accept("and"))
            {
                var (a, b) = (left, ParseNot(tokens));
                left = scope => a(scope) is var first && !JinjaValues.Truthy(first) ? first : b(scope);
            }
            return left;
        }

        private static Expr ParseNot(JinjaTokens tokens)
        {
            if (tokens.Accept("not"))
            {
                var operand = ParseNot(tokens);
                return scope => !JinjaValues.Truthy(operand(scope));
            }
            return ParseComparison(tokens);
        }

        private static Expr ParseComparison(JinjaTokens tokens)
        {
            var left = ParseConcat(tokens);
            while (true)
            {
                var a = left;
                if (tokens.Peek() is { Kind: TokenKind.Operator, Text: "==" or "!=" or "<" or ">" or "<=" or ">=" } op)
                {
                    tokens.Next();
                    var b = ParseConcat(tokens);
                    left = op.Text switch
                    {
                        "==" => scope => JinjaValues.Equals(a(scope), b(scope)),
                        "!=" => scope => !JinjaValues.Equals(a(scope), b(scope)),
                        "<" => scope => JinjaValues.Compare(a(scope), b(scope)) < 0,
                        ">" => scope => JinjaValues.Compare(a(scope), b(scope)) > 0,
                        "<=" => scope => JinjaValues.Compare(a(scope), b(scope)) <= 0,
                        _ => scope => JinjaValues.Compare(a(scope), b(scope)) >= 0,
                    };
                }
                else if (tokens.Peek().Text == "in" || tokens.Peek().Text == "not" && tokens.Peek(1).Text == "in")
                {
                    var negate = tokens.Accept("not");
                    tokens.Expect("in");
                    var b = ParseConcat(tokens);
                    left = scope => Contains(b(scope), a(scope)) != negate;
                }
                else if (tokens.Accept("is"))
                {
                    var negate = tokens.Accept("not");
                    var test = tokens.ExpectName();
                    var argument = tokens.Peek().Text == "(" ? Arguments(tokens).Positional.FirstOrDefault() : null;
                    left = scope => Test(test, a(scope), argument?.Invoke(scope)) != negate;
                }
                else
                {
                    return left;
                }
            }
        }

        private static Expr ParseConcat(JinjaTokens tokens)
        {
            var left = ParseAdditive(tokens);
            while (tokens.Accept("~"))
            {
                var (a, b) = (left, ParseAdditive(tokens));
                left = scope => JinjaValues.Print(a(scope)) + JinjaValues.Print(b(scope));
            }
            return left;
        }

        private static Expr ParseAdditive(JinjaTokens tokens)
        {
            var left = ParseMultiplicative(tokens);
            while (tokens.Peek() is { Kind: TokenKind.Operator, Text: "+" or "-" } op)
            {
                tokens.Next();
                var (a, b) = (left, ParseMultiplicative(tokens));
                left = op.Text == "+" ? scope => Add(a(scope), b(scope)) : scope => Arithmetic('-', a(scope), b(scope));
            }
            return left;
        }

        private static Expr ParseMultiplicative(JinjaTokens tokens)
        {
            var left = ParseUnary(tokens);
            while (tokens.Peek() is { Kind: TokenKind.Operator, Text: "*" or "/" or "//" or "%" } op)
            {
                tokens.Next();
                var (a, b) = (left, ParseUnary(tokens));
                var symbol = op.Text switch { "*" => '*', "/" => '/', "//" => 'f', _ => '%' };
                left = scope => Arithmetic(symbol, a(scope), b(scope));
            }
            return left;
        }

        private static Expr ParseUnary(JinjaTokens tokens)
        {
            if (tokens.Accept("-"))
            {
                var operand = ParseUnary(tokens);
                return scope => Arithmetic('-', 0L, operand(scope));
            }
            return ParsePostfix(tokens);
        }

        private static Expr ParsePostfix(JinjaTokens tokens)
        {
            var value = ParsePrimary(tokens);
            while (true)
            {
                var target = value;
                if (tokens.Accept("."))
                {
                    var name = tokens.ExpectName();
                    value = scope => Attribute(target(scope), name);
                }
                else if (tokens.Accept("["))
                {
                    Expr? start = tokens.Peek().Text == ":" ? null : Parse(tokens);
                    if (tokens.Accept(":"))
                    {
                        Expr? stop = tokens.Peek().Text == "]" ? null : Parse(tokens);
                        tokens.Expect("]");
                        value = scope => Slice(target(scope), start?.Invoke(scope), stop?.Invoke(scope));
                    }
                    else
                    {
                        tokens.Expect("]");
                        value = scope => Index(target(scope), start!(scope));
                    }
                }
                else if (tokens.Peek().Text == "(" && tokens.Peek().Kind == TokenKind.Operator)
                {
                    var (positional, named) = Arguments(tokens);
                    value = scope => Call(target(scope), [.. positional.Select(argument => argument(scope))],
                        named.ToDictionary(pair => pair.Key, pair => pair.Value(scope)));
                }
                else if (tokens.Accept("|"))
                {
                    var filter = tokens.ExpectName();
                    var (positional, _) = tokens.Peek().Text == "(" ? Arguments(tokens) : ([], []);
                    value = scope => Filter(filter, target(scope), [.. positional.Select(argument => argument(scope))]);
                }
                else
                {
                    return value;
                }
            }
        }

        private static Expr ParsePrimary(JinjaTokens tokens)
        {
            var token = tokens.Next();
            switch (token.Kind)
            {
                case TokenKind.String:
                    // Adjacent literals concatenate, as in Python.
                    var text = (string)token.Value!;
                    while (tokens.Peek().Kind == TokenKind.String)
                    {
                        text += (string)tokens.Next().Value!;
                    }
                    return _ => text;
                case TokenKind.Number:
                    var number = token.Value;
                    return _ => number;
                case TokenKind.Name:
                    return token.Text switch
                    {
                        "true" or "True" => _ => true,
                        "false" or "False" => _ => false,
                        "none" or "None" => _ => null,
                        var name => scope => scope.Get(name),
                    };
                case TokenKind.Operator when token.Text == "(":
                    var inner = Parse(tokens);
                    tokens.Expect(")");
                    return inner;
                case TokenKind.Operator when token.Text == "[":
                    var items = new List<Expr>();
                    while (!tokens.Accept("]"))
                    {
                        items.Add(Parse(tokens));
                        if (!tokens.Accept(","))
                        {
                            tokens.Expect("]");
                            break;
                        }
                    }
                    return scope => items.Select(item => item(scope)).ToList();
                case TokenKind.Operator when token.Text == "{":
                    var entries = new List<(Expr Key, Expr Value)>();
                    while (!tokens.Accept("}"))
                    {
                        var key = Parse(tokens);
                        tokens.Expect(":");
                        entries.Add((key, Parse(tokens)));
                        if (!tokens.Accept(","))
                        {
                            tokens.Expect("}");
                            break;
                        }
                    }
                    return scope => entries.ToDictionary(entry => JinjaValues.Print(entry.Key(scope)), entry => entry.Value(scope));
                default:
                    throw new JinjaException($"Unexpected '{token.Text}'.");
            }
        }

        private static (List<Expr> Positional, Dictionary<string, Expr> Named) Arguments(JinjaTokens tokens)
        {
            tokens.Expect("(");
            var positional = new List<Expr>();
            var named = new Dictionary<string, Expr>();
            while (!tokens.Accept(")"))
            {
                if (tokens.Peek().Kind == TokenKind.Name && tokens.Peek(1).Text == "=")
                {
                    var name = tokens.ExpectName();
                    tokens.Expect("=");
                    named[name] = Parse(tokens);
                }
                else
                {
                    positional.Add(Parse(tokens));
                }
                if (!tokens.Accept(","))
                {
                    tokens.Expect(")");
                    break;
                }
            }
            return (positional, named);
        }
    }

    private static object? Add(object? left, object? right) => (left, right) switch
    {
        (string a, string b) => a + b,
        (IList a, IList b) => a.Cast<object?>().Concat(b.Cast<object?>()).ToList(),
        _ => Arithmetic('+', left, right),
    };

    private static object? Arithmetic(char op, object? left, object? right)
    {
        if (left is long a && right is long b)
        {
            return op switch
            {
                '+' => a + b,
                '-' => a - b,
                '*' => a * b,
                '/' => (double)a / b,
                'f' => (long)Math.Floor((double)a / b),
                _ => ((a % b) + b) % b,
            };
        }
        if (left is long or double && right is long or double)
        {
            var (x, y) = (Convert.ToDouble(left, CultureInfo.InvariantCulture), Convert.ToDouble(right, CultureInfo.InvariantCulture));
            return op switch { '+' => x + y, '-' => x - y, '*' => x * y, '/' => x / y, 'f' => Math.Floor(x / y), _ => x - y * Math.Floor(x / y) };
        }
        if (op == '*' && left is string text && right is long count)
        {
            return string.Concat(Enumerable.Repeat(text, (int)Math.Max(0, count)));
        }
        throw new JinjaException($"Cannot apply '{op}' to {JinjaValues.TypeName(left)} and {JinjaValues.TypeName(right)}.");
    }

    private static bool Contains(object? container, object? item) => container switch
    {
        string text => item is string part && text.Contains(part, StringComparison.Ordinal),
        IDictionary<string, object?> map => item is string key && map.ContainsKey(key),
        IList list => list.Cast<object?>().Any(entry => JinjaValues.Equals(entry, item)),
        null or Undefined => false,
        _ => throw new JinjaException($"Cannot look for a value in {JinjaValues.TypeName(container)}."),
    };

    private static bool Test(string name, object? value, object? argument) => name switch
    {
        "defined" => value is not Undefined,
        "undefined" => value is Undefined,
        "none" => value is null,
        "string" => value is string,
        "number" => value is long or double,
        "integer" => value is long,
        "float" => value is double,
        "boolean" => value is bool,
        "true" => value is true,
        "false" => value is false,
        "mapping" => value is IDictionary<string, object?>,
        "sequence" => value is string or IList,
        "iterable" => value is string or IList or IDictionary<string, object?>,
        "odd" => value is long odd && odd % 2 != 0,
        "even" => value is long even && even % 2 == 0,
        "divisibleby" => value is long dividend && argument is long divisor && dividend % divisor == 0,
        "equalto" or "eq" => JinjaValues.Equals(value, argument),
        _ => throw new JinjaException($"The test '{name}' is not supported."),
    };

    private static object? Attribute(object? target, string name) => target switch
    {
        IDictionary<string, object?> map when map.TryGetValue(name, out var value) => value,
        IDictionary<string, object?> when name is "items" or "keys" or "values" or "get" => new BoundMethod(target, name),
        IDictionary<string, object?> => Undefined.Value,
        string when name is "strip" or "lstrip" or "rstrip" or "startswith" or "endswith" or "split" or "upper" or "lower" or "replace" or "title"
            or "capitalize" => new BoundMethod(target, name),
        _ => Undefined.Value,
    };

    private static object? Index(object? target, object? key) => (target, key) switch
    {
        (IDictionary<string, object?> map, string name) => map.TryGetValue(name, out var value) ? value : Undefined.Value,
        (IList list, long index) => index < 0 ? (index + list.Count >= 0 ? list[(int)(index + list.Count)] : Undefined.Value)
            : index < list.Count ? list[(int)index] : Undefined.Value,
        (string text, long index) => index < 0 ? text[(int)(text.Length + index)].ToString() : text[(int)index].ToString(),
        (null or Undefined, _) => Undefined.Value,
        _ => throw new JinjaException($"Cannot index {JinjaValues.TypeName(target)} with {JinjaValues.TypeName(key)}."),
    };

    private static object? Slice(object? target, object? start, object? stop)
    {
        int Bound(object? value, int length, int fallback) => value switch
        {
            long index => (int)Math.Clamp(index < 0 ? index + length : index, 0, length),
            null => fallback,
            _ => throw new JinjaException("Slice bounds must be integers."),
        };
        return target switch
        {
            IList list => list.Cast<object?>().Take(Bound(stop, list.Count, list.Count)).Skip(Bound(start, list.Count, 0)).ToList(),
            string text => text[Bound(start, text.Length, 0)..Math.Max(Bound(start, text.Length, 0), Bound(stop, text.Length, text.Length))],
            _ => throw new JinjaException($"Cannot slice {JinjaValues.TypeName(target)}."),
        };
    }

    private static object? Call(object? callee, List<object?> args, Dictionary<string, object?> kwargs)
    {
        if (callee is Function function)
        {
            return function.Invoke(args, kwargs);
        }
        if (callee is not BoundMethod(var target, var name))
        {
            throw new JinjaException($"{JinjaValues.TypeName(callee)} is not callable.");
        }
        string Arg(int i) => i < args.Count ? JinjaValues.Print(args[i]) : "";
        if (target is IDictionary<string, object?> map)
        {
            return name switch
            {
                "items" => map.Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList(),
                "keys" => map.Keys.Cast<object?>().ToList(),
                "values" => map.Values.ToList(),
                _ => map.TryGetValue(Arg(0), out var value) ? value : args.Count > 1 ? args[1] : null,
            };
        }
        var text = (string)target;
        return name switch
        {
            "strip" => args.Count > 0 ? text.Trim(Arg(0).ToCharArray()) : text.Trim(),
            "lstrip" => args.Count > 0 ? text.TrimStart(Arg(0).ToCharArray()) : text.TrimStart(),
            "rstrip" => args.Count > 0 ? text.TrimEnd(Arg(0).ToCharArray()) : text.TrimEnd(),
            "startswith" => text.StartsWith(Arg(0), StringComparison.Ordinal),
            "endswith" => text.EndsWith(Arg(0), StringComparison.Ordinal),
            "split" => (args.Count > 0 ? text.Split(Arg(0)) : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Cast<object?>().ToList(),
            "upper" => text.ToUpperInvariant(),
            "lower" => text.ToLowerInvariant(),
            "replace" => text.Replace(Arg(0), Arg(1), StringComparison.Ordinal),
            "title" => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(text.ToLowerInvariant()),
            _ => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant(),
        };
    }

    private static object? Filter(string name, object? value, List<object?> args) => name switch
    {
        "trim" => JinjaValues.Print(value).Trim(),
        "length" or "count" => value switch
        {
            string text => (long)text.Length,
            ICollection collection => (long)collection.Count,
            _ => throw new JinjaException($"{JinjaValues.TypeName(value)} has no length."),
        },
        "lower" => JinjaValues.Print(value).ToLowerInvariant(),
        "upper" => JinjaValues.Print(value).ToUpperInvariant(),
        "capitalize" => JinjaValues.Print(value) is { Length: > 0 } text ? char.ToUpperInvariant(text[0]) + text[1..].ToLowerInvariant() : "",
        "string" => JinjaValues.Print(value),
        "first" => Items(value).FirstOrDefault(),
        "last" => Items(value).LastOrDefault(),
        "list" => Items(value).ToList(),
        "join" => string.Join(args.Count > 0 ? JinjaValues.Print(args[0]) : "", Items(value).Select(JinjaValues.Print)),
        "default" or "d" => value is Undefined || args.Count > 1 && JinjaValues.Truthy(args[1]) && !JinjaValues.Truthy(value) ? args.FirstOrDefault() : value,
        "replace" => JinjaValues.Print(value).Replace(JinjaValues.Print(args[0]), JinjaValues.Print(args[1]), StringComparison.Ordinal),
        "tojson" => JinjaValues.Json(value),
        "items" => value is IDictionary<string, object?> map ? map.Select(pair => (object?)new List<object?> { pair.Key, pair.Value }).ToList()
            : throw new JinjaException("items needs a mapping."),
        _ => throw new JinjaException($"The filter '{name}' is not supported."),
    };
}
