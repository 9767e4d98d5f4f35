using System.Collections;
using System.Globalization;
using System.Text;

namespace Omni.Orchestrator.OpenAi.Jinja;

/// <summary>A name with no value (Jinja's Undefined): false, empty when printed, "not defined" to the <c>defined</c> test.</summary>
internal sealed class Undefined
{
    public static readonly Undefined Value = new();

    public override string ToString() => "";
}

/// <summary>Jinja's <c>namespace()</c>: attributes a loop body may set and the code after the loop can read.</summary>
internal sealed class Namespace : Dictionary<string, object?>;

/// <summary>Python semantics of the values a chat template handles: truth, equality, order, printing.</summary>
internal static class JinjaValues
{
    public static bool Truthy(object? value) => value switch
    {
        null or Undefined => false,
        bool flag => flag,
        long number => number != 0,
        double number => number != 0,
        string text => text.Length > 0,
        ICollection collection => collection.Count > 0,
        _ => true,
    };

    public static new bool Equals(object? left, object? right) => (left, right) switch
    {
        (null or Undefined, null or Undefined) => true,
        (long a, long b) => a == b,
        (long or double, long or double) => Convert.ToDouble(left, CultureInfo.InvariantCulture) == Convert.ToDouble(right, CultureInfo.InvariantCulture),
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (bool a, bool b) => a == b,
        (IList a, IList b) => a.Count == b.Count && Enumerable.Range(0, a.Count).All(i => Equals(a[i], b[i])),
        _ => ReferenceEquals(left, right),
    };

    public static int Compare(object? left, object? right) => (left, right) switch
    {
        (long a, long b) => a.CompareTo(b),
        (long or double, long or double) => Convert.ToDouble(left, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(right, CultureInfo.InvariantCulture)),
        (string a, string b) => string.CompareOrdinal(a, b),
        _ => throw new JinjaException($"Cannot order {TypeName(left)} and {TypeName(right)}."),
    };

    /// <summary>As Python's <c>str()</c>, which Jinja prints with.</summary>
    public static string Print(object? value) => value switch
    {
        null => "None",
        Undefined => "",
        string text => text,
        bool flag => flag ? "True" : "False",
        long number => number.ToString(CultureInfo.InvariantCulture),
        double number => number == Math.Floor(number) && Math.Abs(number) < 1e16
            ? number.ToString("0.0", CultureInfo.InvariantCulture)
            : number.ToString("R", CultureInfo.InvariantCulture),
        _ => Repr(value),
    };

    /// <summary>As Python's <c>repr()</c>, for strings inside printed lists and dicts.</summary>
    public static string Repr(object? value) => value switch
    {
        string text => "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "'",
        IDictionary<string, object?> map => "{" + string.Join(", ", map.Select(pair => $"{Repr(pair.Key)}: {Repr(pair.Value)}")) + "}",
        IList list => "[" + string.Join(", ", list.Cast<object?>().Select(Repr)) + "]",
        _ => Print(value),
    };

    /// <summary>As Hugging Face's <c>tojson</c> filter: <c>json.dumps(value, ensure_ascii=False)</c>.</summary>
    public static string Json(object? value)
    {
        var json = new StringBuilder();
        void Write(object? item)
        {
            switch (item)
            {
                case null or Undefined:
                    json.Append("null");
                    break;
                case bool flag:
                    json.Append(flag ? "true" : "false");
                    break;
                case long or double:
                    json.Append(Print(item));
                    break;
                case string text:
                    json.Append('"');
                    foreach (var c in text)
                    {
                        json.Append(c switch
                        {
                            '"' => "\\\"",
                            '\\' => "\\\\",
                            '\n' => "\\n",
                            '\r' => "\\r",
                            '\t' => "\\t",
                            < ' ' => $"\\u{(int)c:x4}",
                            _ => c.ToString(),
                        });
                    }
                    json.Append('"');
                    break;
                case IDictionary<string, object?> map:
                    json.Append('{');
                    var first = true;
                    foreach (var (key, entry) in map)
                    {
                        json.Append(first ? "" : ", ");
                        first = false;
                        Write(key);
                        json.Append(": ");
                        Write(entry);
                    }
                    json.Append('}');
                    break;
                case IList list:
                    json.Append('[');
                    for (var i = 0; i < list.Count; i++)
                    {
                        json.Append(i == 0 ? "" : ", ");
                        Write(list[i]);
                    }
                    json.Append(']');
                    break;
                default:
                    throw new JinjaException($"tojson cannot write {TypeName(item)}.");
            }
        }
        Write(value);
        return json.ToString();
    }

    public static string TypeName(object? value) => value switch
    {
        null => "none",
        Undefined => "undefined",
        string => "string",
        bool => "boolean",
        long or double => "number",
        IDictionary<string, object?> => "mapping",
        IList => "list",
        _ => value.GetType().Name,
    };
}
