using System.Runtime.InteropServices;

namespace Filelock;

/// <summary>The release functions, called straight from libfilelock with the raw pointer.</summary>
internal static class NativeRelease
{
    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern void fl_close(IntPtr h);

    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern void fl_state_close(IntPtr st);

    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern void fl_txn_rollback(IntPtr t);

    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern int fl_cancel_token_create(out IntPtr token);

    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern void fl_cancel_token_trigger(IntPtr token);

    [DllImport(Native.NativeLibraryResolver.CoreName)]
    internal static extern void fl_cancel_token_free(IntPtr token);
}

/// <summary>An fl_cancel_token (since 1.4): the cancel of one native call, triggered by
/// a CancellationToken's callback, freed by Dispose or the finalizer once no call uses
/// it (a call holds a reference: <see cref="Use"/>).</summary>
internal sealed class CancelTokenHandle : SafeHandle
{
    CancelTokenHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;

    internal static CancelTokenHandle Create()
    {
        var t = new CancelTokenHandle();
        if (NativeRelease.fl_cancel_token_create(out var raw) != 0 || raw == IntPtr.Zero)
            throw new OutOfMemoryException("filelock: cannot create a cancel token");
        t.SetHandle(raw);
        return t;
    }

    /// <summary>Ends the wait of the call using it; idempotent; never throws.</summary>
    internal void Trigger()
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            NativeRelease.fl_cancel_token_trigger(handle);
        }
        catch (ObjectDisposedException)
        {
            // The call is over and the token gone: nothing left to cancel.
        }
        finally
        {
            if (added) DangerousRelease();
        }
    }

    /// <summary>The raw token for a call's fl_wait_opts, referenced until the returned
    /// scope is disposed.</summary>
    internal Scope Use(out IntPtr raw)
    {
        bool added = false;
        DangerousAddRef(ref added);
        raw = handle;
        return new Scope(this);
    }

    internal readonly struct Scope : IDisposable
    {
        readonly CancelTokenHandle owner;
        internal Scope(CancelTokenHandle t) => owner = t;
        public void Dispose() => owner.DangerousRelease();
    }

    protected override bool ReleaseHandle()
    {
        NativeRelease.fl_cancel_token_free(handle);
        return true;
    }
}

/// <summary>An fl_handle: closed (releasing any lock) by Dispose or the finalizer.</summary>
internal sealed class FileLockHandle : SafeHandle
{
    public FileLockHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        NativeRelease.fl_close(handle);
        return true;
    }
}

/// <summary>An fl_state: closed by Dispose or the finalizer, but only after every
/// transaction begun on it is gone (each TxnHandle holds a reference).</summary>
internal sealed class StateHandle : SafeHandle
{
    public StateHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle()
    {
        NativeRelease.fl_state_close(handle);
        return true;
    }
}

/// <summary>An fl_txn: rolled back by Dispose or the finalizer unless committed. It keeps
/// its state open, since the native transaction points into it.</summary>
internal sealed class TxnHandle : SafeHandle
{
    StateHandle? parent;

    public TxnHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;

    internal void KeepAlive(StateHandle state)
    {
        bool added = false;
        state.DangerousAddRef(ref added);
        if (added) parent = state;
    }

    /// <summary>fl_txn_commit freed the native transaction: never roll it back.</summary>
    internal void MarkConsumed()
    {
        SetHandleAsInvalid();
        ReleaseParent();
    }

    protected override bool ReleaseHandle()
    {
        NativeRelease.fl_txn_rollback(handle);
        ReleaseParent();
        return true;
    }

    void ReleaseParent()
    {
        Interlocked.Exchange(ref parent, null)?.DangerousRelease();
    }
}
