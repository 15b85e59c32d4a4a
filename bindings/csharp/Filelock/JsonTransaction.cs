using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>
/// A transaction on a <see cref="JsonState"/>: holds the state's exclusive lock from
/// <see cref="JsonState.BeginTransaction()"/> until <see cref="Commit"/> or Dispose. Edit
/// <see cref="Data"/> in place (or replace it); Dispose without a commit rolls back.
/// </summary>
public sealed class JsonTransaction : IDisposable, IAsyncDisposable
{
    readonly TxnHandle handle;

    internal JsonTransaction(JsonState state, TxnHandle handle)
    {
        State = state;
        this.handle = handle;
        Data = TxnDocument.Get(handle);
        Generation = FilelockNative.fl_txn_generation(handle);
    }

    /// <summary>The state this transaction changes.</summary>
    public JsonState State { get; }

    /// <summary>The document; changes are written by <see cref="Commit"/>.</summary>
    public JsonNode? Data { get; set; }

    /// <summary>The generation the transaction started from.</summary>
    public ulong Generation { get; }

    /// <summary>Whether <see cref="Commit"/> succeeded.</summary>
    public bool IsCommitted { get; private set; }

    /// <summary>The value at an RFC 6901 JSON pointer ("" is the whole document).</summary>
    /// <exception cref="FileLockException">Nothing is there (<see cref="ErrorCode.NotFound"/>).</exception>
    public JsonNode? Get(string pointer)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        Flush();
        FilelockNative.fl_txn_get(handle, pointer, out var json);
        return Json.Parse(json);
    }

    /// <summary>Sets the value at a JSON pointer, creating missing parent objects.</summary>
    public void Set(string pointer, JsonNode? value)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        var json = Json.Serialize(value);
        Apply(() => FilelockNative.fl_txn_set(handle, pointer, json));
    }

    /// <summary>Removes the value at a JSON pointer.</summary>
    /// <exception cref="FileLockException">Nothing is there (<see cref="ErrorCode.NotFound"/>).</exception>
    public void Remove(string pointer)
    {
        ArgumentNullException.ThrowIfNull(pointer);
        Apply(() => FilelockNative.fl_txn_remove(handle, pointer));
    }

    /// <summary>Applies an RFC 7386 JSON merge patch (null members delete).</summary>
    public void Merge(JsonNode? patch)
    {
        var json = Json.Serialize(patch);
        Apply(() => FilelockNative.fl_txn_merge(handle, json));
    }

    // The library edits its copy of the document: hand it Data first, then take the result
    // back, so Data and the pointer operations always see the same document.
    void Apply(Action edit)
    {
        Flush();
        edit();
        Data = TxnDocument.Get(handle);
    }

    void Flush()
    {
        if (handle.IsClosed)
            throw new InvalidOperationException("the transaction is already committed or rolled back");
        TxnDocument.Set(handle, Data);
    }

    /// <summary>Writes <see cref="Data"/> atomically and releases the lock. On failure
    /// nothing changed on disk, and the transaction is over either way.</summary>
    /// <exception cref="StateValidationException">Data does not satisfy the schema.</exception>
    public void Commit()
    {
        if (handle.IsClosed)
            throw new InvalidOperationException("the transaction is already committed or rolled back");
        var consumed = false;
        try
        {
            TxnDocument.Set(handle, Data);
            // fl_txn_commit frees the transaction whether it succeeds or fails.
            consumed = true;
            FilelockNative.fl_txn_commit(handle);
            IsCommitted = true;
        }
        finally
        {
            if (consumed) handle.MarkConsumed();
            else handle.Dispose();
        }
    }

    /// <summary>Ends the transaction; without a commit, nothing is written.</summary>
    public void Dispose() => handle.Dispose();

    /// <summary>As <see cref="Dispose"/>, for <c>await using</c>; it never blocks.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
