using System.Text.Json.Nodes;

namespace Filelock.Native;

/// <summary>Documents cross the C API as JSON text; a JSON null is a null node.</summary>
internal static class Json
{
    internal static string Serialize(JsonNode? node) => node is null ? "null" : node.ToJsonString();

    internal static JsonNode? Parse(string? text) => text is null ? null : JsonNode.Parse(text);

    internal static JsonObject ParseObject(string? text) =>
        Parse(text) as JsonObject ?? throw new FileLockException(ErrorCode.Corrupt, $"filelock returned a non-object report: {text}");

    internal static JsonArray ParseArray(string? text) =>
        Parse(text) as JsonArray ?? throw new FileLockException(ErrorCode.Corrupt, $"filelock returned a non-array report: {text}");
}
