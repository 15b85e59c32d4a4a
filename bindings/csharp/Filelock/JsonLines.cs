using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>Appends to JSONL journals shared by processes: each line is written whole or
/// not at all, and concurrent appenders never interleave.</summary>
public static class JsonLines
{
    /// <summary>Appends <paramref name="value"/> as one line to <paramref name="path"/> under its lock.</summary>
    public static void Append(string path, JsonNode? value, Durability durability = Durability.Full,
                              LockOptions? options = null)
    {
        NativePath.Check(path, nameof(path));
        using var native = new NativeOptions();
        var opts = native.Lock(options);
        FilelockNative.fl_append_ex(path, Json.Serialize(value), ref opts, (int)durability);
    }
}
