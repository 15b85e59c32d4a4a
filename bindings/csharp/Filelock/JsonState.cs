using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>
/// A crash-safe JSON document on disk (such as pipeline.json) shared by processes: every
/// change is a locked, atomic, backed-up and logged commit, so the file is never torn
/// and never loses an acknowledged write.
/// </summary>
/// <remarks>One thread at a time may use an instance; open one per thread to share a file
/// across threads. Dispose closes it; so does the finalizer if Dispose is forgotten.</remarks>
/// <example><code>
/// using var state = new JsonState("pipeline.json");
/// using (var txn = state.BeginTransaction())
/// {
///     txn.Data!["phase1"] = new JsonObject { ["status"] = "success" };
///     txn.Commit();
/// }
/// </code></example>
public sealed class JsonState : IDisposable
{
    readonly StateHandle handle;

    /// <summary>Opens the state file at <paramref name="path"/>, creating it from
    /// <see cref="StateOptions.InitialDocument"/> (default {}) when missing.</summary>
    public JsonState(string path, StateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        Path = path;
        using var native = new NativeOptions();
        var opts = native.State(options);
        FilelockNative.fl_state_open(out handle, path, ref opts);
    }

    /// <summary>The state file's path.</summary>
    public string Path { get; }

    /// <summary>The whole document.</summary>
    public JsonNode? Read() => Read(out _);

    /// <summary>The whole document and its generation (incremented by every commit).</summary>
    public JsonNode? Read(out ulong generation)
    {
        FilelockNative.fl_state_read(handle, out var json, out generation);
        return Json.Parse(json);
    }

    /// <summary>The current generation.</summary>
    public ulong Generation
    {
        get
        {
            Read(out var generation);
            return generation;
        }
    }

    /// <summary>Replaces the whole document in one commit.</summary>
    public void Write(JsonNode? document) => FilelockNative.fl_state_write(handle, Json.Serialize(document));

    /// <summary>Replaces the document only if the generation is still
    /// <paramref name="expectedGeneration"/>.</summary>
    /// <exception cref="StateConflictException">Someone committed in between.</exception>
    public void WriteIf(JsonNode? document, ulong expectedGeneration) =>
        FilelockNative.fl_state_write_if(handle, Json.Serialize(document), expectedGeneration);

    /// <summary>Takes the state's exclusive lock and loads the document into
    /// <see cref="JsonTransaction.Data"/>. Commit to keep the changes; Dispose without
    /// commit rolls back.</summary>
    public JsonTransaction BeginTransaction()
    {
        FilelockNative.fl_txn_begin(handle, out var txn);
        txn.KeepAlive(handle);
        return new JsonTransaction(this, txn);
    }

    /// <summary>Read-modify-write in one transaction: <paramref name="change"/> edits the
    /// document in place; an exception from it rolls back.</summary>
    public void Update(Action<JsonNode?> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var txn = BeginTransaction();
        change(txn.Data);
        txn.Commit();
    }

    /// <summary>Read-modify-write in one transaction: the document becomes what
    /// <paramref name="transform"/> returns; an exception from it rolls back. (Not an
    /// overload of Update: `doc => doc["x"] = 1` would bind to it and return the 1.)</summary>
    public void Transform(Func<JsonNode?, JsonNode?> transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        using var txn = BeginTransaction();
        txn.Data = transform(txn.Data);
        txn.Commit();
    }

    /// <summary>Backs up the current document now; returns the backup's id.</summary>
    public string CreateBackup()
    {
        FilelockNative.fl_state_backup(handle, out var id);
        return id;
    }

    /// <summary>The backups, newest first (at most <paramref name="limit"/>; 0: all).</summary>
    public IReadOnlyList<BackupInfo> ListBackups(int limit = 0)
    {
        FilelockNative.fl_state_backups(handle, out var json);
        var backups = Json.ParseArray(json).Select(b => BackupInfo.From(b!.AsObject()));
        return (limit > 0 ? backups.Take(limit) : backups).ToList();
    }

    /// <summary>Makes the backup <paramref name="backupId"/> the current document (a logged commit).</summary>
    public void Restore(string backupId)
    {
        ArgumentNullException.ThrowIfNull(backupId);
        FilelockNative.fl_state_restore(handle, backupId);
    }

    /// <summary>Makes <paramref name="backup"/> the current document (a logged commit).</summary>
    public void Restore(BackupInfo backup) => Restore(backup.Id);

    /// <summary>Audit records (commits, restores, failures), newest first; limit 0: all.</summary>
    public JsonArray History(int limit = 0)
    {
        FilelockNative.fl_state_history(handle, limit, out var json);
        return Json.ParseArray(json);
    }

    /// <summary>Checks the document, log and backups without changing anything:
    /// {"ok","document","generation","log","backups","problems"}.</summary>
    public JsonObject Verify()
    {
        FilelockNative.fl_state_verify(handle, out var json);
        return Json.ParseObject(json);
    }

    /// <summary>Closes the state; open transactions keep it open until they end.</summary>
    public void Dispose() => handle.Dispose();
}
