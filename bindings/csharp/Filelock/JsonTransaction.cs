using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>
/// A transaction on a <see cref="JsonState"/>: holds the state's exclusive lock from
/// <see cref="JsonState.BeginTransaction"/> until <see cref="Commit"/> or Dispose. Edit
/// <see cref="Data"/> in place (or replace it); Dispose without a commit rolls back.
/// </summary>
public sealed class JsonTransaction : IDisposable
{
    readonly TxnHandle handle;

    internal JsonTransaction(JsonState state, TxnHandle handle)
    {
        State = state;
        this.handle = handle;
        FilelockNative.fl_txn_get(handle, "", out var json);
        Data = Json.Parse(json);
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
            FilelockNative.fl_txn_set(handle, "", Json.Serialize(Data));
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
}
