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
