using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>
/// A crash-safe JSON document on disk (such as pipeline.json) shared by processes: every
/// change is a locked, atomic, backed-up and logged commit, so the file is never torn
/// and never loses an acknowledged write.
/// </summary>
/// <remarks>One thread at a time may use an instance; open one per thread to share a file
/// across threads. Dispose closes it; so does the finalizer if Dispose is forgotten.
/// The overloads taking a <see cref="CancellationToken"/> (and the ...Async methods) end a
/// wait for the file's lock when the token is cancelled, with
/// <see cref="LockCanceledException"/> (an <see cref="OperationCanceledException"/>
/// carrying the token) and nothing changed; a call that got the lock before the cancel
/// took effect completes normally.</remarks>
/// <example><code>
/// using var state = new JsonState("pipeline.json");
/// using (var txn = state.BeginTransaction())
/// {
///     txn.Data!["phase1"] = new JsonObject { ["status"] = "success" };
///     txn.Commit();
/// }
/// </code></example>
public sealed class JsonState : IDisposable, IAsyncDisposable
{
    readonly StateHandle handle;

    /// <summary>Opens the state file at <paramref name="path"/>, creating it from
    /// <see cref="StateOptions.InitialDocument"/> (default {}) when missing.</summary>
    public JsonState(string path, StateOptions? options = null)
    {
        NativePath.Check(path, nameof(path));
        Path = path;
        handle = Open(path, options);
    }

    static StateHandle Open(string path, StateOptions? options)
    {
        using var native = new NativeOptions();
        var opts = native.State(options);
        FilelockNative.fl_state_open(out var opened, path, ref opts);
        return opened;
    }

    /// <summary>The state file's path.</summary>
    public string Path { get; }

    /// <summary>The whole document.</summary>
    public JsonNode? Read() => Read(out _);

    /// <summary>The whole document and its generation (incremented by every commit).</summary>
    public JsonNode? Read(out ulong generation) => Read(out generation, CancellationToken.None);

    /// <summary>The whole document; <paramref name="cancellationToken"/> ends a wait for the lock.</summary>
    /// <exception cref="LockCanceledException">The token was cancelled during the wait.</exception>
    public JsonNode? Read(CancellationToken cancellationToken) => Read(out _, cancellationToken);

    /// <summary>The whole document and its generation; <paramref name="cancellationToken"/>
    /// ends a wait for the lock.</summary>
    public JsonNode? Read(out ulong generation, CancellationToken cancellationToken)
    {
        string? json = null;
        ulong read = 0;
        Waiting(cancellationToken, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_state_read_with(h, out json, out read, ref w));
        generation = read;
        return Json.Parse(json);
    }

    /// <summary>The value at an RFC 6901 JSON pointer ("" = the whole document,
    /// "/jobs/0/status"). With a journal (<see cref="StateOptions.JournalMaxBytes"/>) a
    /// long-lived instance answers from its parsed copy: after another handle's small
    /// commit the call costs the change and the value, not the document.</summary>
    /// <exception cref="FileLockException">Code <see cref="ErrorCode.NotFound"/>: the
    /// pointer names nothing.</exception>
    public JsonNode? Get(string pointer) => Get(pointer, out _);

    /// <summary>The value at <paramref name="pointer"/> and the document's generation;
    /// <paramref name="cancellationToken"/> ends a wait for the lock.</summary>
    public JsonNode? Get(string pointer, out ulong generation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        string? json = null;
        ulong read = 0;
        Waiting(cancellationToken, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_state_get_with(h, pointer, out json, out read, ref w));
        generation = read;
        return Json.Parse(json);
    }

    /// <summary>The whole document, waiting for the lock on a thread-pool thread.</summary>
    public Task<JsonNode?> ReadAsync(CancellationToken cancellationToken = default) =>
        Task.Run(() => Read(cancellationToken), CancellationToken.None);

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
    public void Write(JsonNode? document) => Write(document, CancellationToken.None);

    /// <summary>Replaces the whole document in one commit; <paramref name="cancellationToken"/>
    /// ends a wait for the lock (nothing is written then).</summary>
    public void Write(JsonNode? document, CancellationToken cancellationToken)
    {
        var json = Json.Serialize(document);
        Waiting(cancellationToken, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_state_write_with(h, json, ref w));
    }

    /// <summary>Replaces the whole document, waiting for the lock on a thread-pool thread.</summary>
    public Task WriteAsync(JsonNode? document, CancellationToken cancellationToken = default) =>
        Task.Run(() => Write(document, cancellationToken), CancellationToken.None);

    /// <summary>Waits until a commit from any process (a write, a transaction, a restore)
    /// moves the generation past <paramref name="after"/> and returns the new generation;
    /// at once if it already is. The commit itself wakes the wait (a watch on the file's
    /// directory), not polling; a commit that leaves the document as it was wakes no one.
    /// The instance is busy meanwhile: commit through another one.</summary>
    /// <exception cref="LockCanceledException">The token was cancelled during the wait.</exception>
    public ulong WaitForChange(ulong after, CancellationToken cancellationToken = default) =>
        WaitForChange(after, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary><see cref="WaitForChange(ulong, CancellationToken)"/> for at most
    /// <paramref name="timeout"/> (<see cref="TimeSpan.Zero"/>: look once).</summary>
    /// <exception cref="LockTimeoutException">No change within the timeout.</exception>
    public ulong WaitForChange(ulong after, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var ms = Timeouts.ToMilliseconds(timeout);
        ulong generation = 0;
        Waiting(cancellationToken, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_state_wait_with(h, after, out generation, ref w), ms);
        return generation;
    }

    /// <summary><see cref="WaitForChange(ulong, CancellationToken)"/> on a thread-pool
    /// thread; cancelling the token ends the wait at once.</summary>
    public Task<ulong> WaitForChangeAsync(ulong after, CancellationToken cancellationToken = default) =>
        Task.Run(() => WaitForChange(after, cancellationToken), CancellationToken.None);

    /// <summary><see cref="WaitForChange(ulong, TimeSpan, CancellationToken)"/> on a
    /// thread-pool thread.</summary>
    public Task<ulong> WaitForChangeAsync(ulong after, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Task.Run(() => WaitForChange(after, timeout, cancellationToken), CancellationToken.None);

    /// <summary>Replaces the document only if the generation is still
    /// <paramref name="expectedGeneration"/>.</summary>
    /// <exception cref="StateConflictException">Someone committed in between.</exception>
    public void WriteIf(JsonNode? document, ulong expectedGeneration) =>
        FilelockNative.fl_state_write_if(handle, Json.Serialize(document), expectedGeneration);

    /// <summary>Takes the state's exclusive lock and loads the document into
    /// <see cref="JsonTransaction.Data"/>. Commit to keep the changes; Dispose without
    /// commit rolls back.</summary>
    public JsonTransaction BeginTransaction() => BeginTransaction(CancellationToken.None);

    /// <summary><see cref="BeginTransaction()"/>; <paramref name="cancellationToken"/> ends the
    /// wait for the lock. Once begun, the transaction is not affected by the token.</summary>
    /// <exception cref="LockCanceledException">The token was cancelled during the wait.</exception>
    public JsonTransaction BeginTransaction(CancellationToken cancellationToken)
    {
        TxnHandle? txn = null;
        var state = Waiting(cancellationToken, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_txn_begin_with(h, out txn, ref w));
        txn!.KeepAlive(state);
        return new JsonTransaction(this, txn);
    }

    /// <summary>Begins a transaction, waiting for the lock on a thread-pool thread. The
    /// transaction then belongs to the awaiting code (one thread at a time).</summary>
    public Task<JsonTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default) =>
        Task.Run(() => BeginTransaction(cancellationToken), CancellationToken.None);

    /// <summary>Read-modify-write in one transaction: <paramref name="change"/> edits the
    /// document in place; an exception from it rolls back.</summary>
    public void Update(Action<JsonNode?> change) => Update(change, CancellationToken.None);

    /// <summary><see cref="Update(Action{JsonNode})"/>; <paramref name="cancellationToken"/>
    /// ends the wait for the lock (then <paramref name="change"/> never runs).</summary>
    public void Update(Action<JsonNode?> change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var txn = BeginTransaction(cancellationToken);
        change(txn.Data);
        txn.Commit();
    }

    /// <summary><see cref="Update(Action{JsonNode}, CancellationToken)"/> on a thread-pool thread.</summary>
    public Task UpdateAsync(Action<JsonNode?> change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Task.Run(() => Update(change, cancellationToken), CancellationToken.None);
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
        NativePath.Check(backupId, nameof(backupId)); // an id names a backup file
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

    /// <summary>As <see cref="Dispose"/>, for <c>await using</c>; it never blocks.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A native call that may wait, given its wait options.</summary>
    internal delegate int WaitCall(StateHandle h, ref WaitOptionsNative wait);

    /// <summary>Runs <paramref name="call"/>, a native call that may wait for the file's
    /// lock, on the handle (which it returns); the token ends that wait through the
    /// call's own cancel token (fl_wait_opts), so a cancel that comes after the call
    /// returned reaches nothing and the handle needs no repair.</summary>
    internal StateHandle Waiting(CancellationToken token, WaitCall call, long timeoutMs = -2)
    {
        token.ThrowIfCancellationRequested();
        var h = handle;
        var wait = WaitOptionsNative.Default();
        wait.timeout_ms = timeoutMs;
        if (!token.CanBeCanceled)
        {
            call(h, ref wait);
            return h;
        }
        using var cancel = CancelTokenHandle.Create();
        using var use = cancel.Use(out wait.cancel);
        // Dispose of the registration waits for a callback in progress, so the token
        // outlives every trigger.
        using (token.Register(cancel.Trigger))
        {
            try
            {
                call(h, ref wait);
            }
            catch (LockCanceledException e) when (token.IsCancellationRequested)
            {
                throw new LockCanceledException(e.Message, token);
            }
        }
        return h;
    }
}
