using System.Runtime.InteropServices;

namespace Filelock;

// Mirrors of fl_lock_options and fl_state_options (filelock.h), passed by reference.
// Field order and types must match the header exactly; a test checks the sizes against
// the `size` the library's *_init functions write.

[StructLayout(LayoutKind.Sequential)]
internal struct LockOptionsNative
{
    public uint size;
    public int backend;
    public IntPtr lock_dir;
    public int sidecar;
    public uint file_mode;
    public IntPtr owner;
    public int record_holder;
    public int retry_interval_ms;
    public long stale_after_ms;
    // Since 1.4: an etcd:// name's connection settings (0 / null: not set).
    public long etcd_ttl_ms;
    public long etcd_dial_timeout_ms;
    public long etcd_request_timeout_ms;
    public IntPtr etcd_tls_ca;
    public IntPtr etcd_tls_cert;
    public IntPtr etcd_tls_key;
    public IntPtr etcd_user;
    public IntPtr etcd_password_file;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StateOptionsNative
{
    public uint size;
    public int durability;
    public int max_backups;
    public int backup_before_write;
    public int audit_log;
    public int validate_on_read;
    public IntPtr schema_json;
    public long lock_timeout_ms;
    public IntPtr meta_dir;
    public IntPtr initial_json;
    public IntPtr @lock;
    public long max_log_bytes;
    public long journal_max_bytes;
}

/// <summary>fl_wait_opts (since 1.4): how one call waits. `cancel` is a token the caller
/// keeps alive (and referenced) for the length of the call.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WaitOptionsNative
{
    public uint size;
    public long timeout_ms;
    public IntPtr cancel;

    /// <summary>The call's own timeout (FL_TIMEOUT_DEFAULT), no token.</summary>
    internal static WaitOptionsNative Default() => new WaitOptionsNative
    {
        size = (uint)Marshal.SizeOf<WaitOptionsNative>(),
        timeout_ms = -2,
        cancel = IntPtr.Zero,
    };
}
