using System.Text.Json.Nodes;

namespace Filelock;

/// <summary>One backup of a <see cref="JsonState"/>, as listed by <see cref="JsonState.ListBackups"/>.</summary>
/// <param name="Id">The id to pass to <see cref="JsonState.Restore(string)"/>.</param>
/// <param name="Generation">The generation of the backed-up document.</param>
/// <param name="CreatedAt">When the backup was made, as the library reports it.</param>
/// <param name="Size">The backup's size in bytes.</param>
public sealed record BackupInfo(string Id, ulong Generation, string? CreatedAt, long Size)
{
    internal static BackupInfo From(JsonObject o) => new(
        o["id"]?.GetValue<string>() ?? throw new FileLockException(ErrorCode.Corrupt, $"backup entry without an id: {o.ToJsonString()}"),
        o["generation"]?.GetValue<ulong>() ?? 0,
        o["created_at"]?.ToString(),
        o["size"]?.GetValue<long>() ?? 0);
}
