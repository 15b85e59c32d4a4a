using System.Runtime.InteropServices;

namespace Filelock.Native;

/// <summary>
/// Builds the native options structs from the managed ones and owns the unmanaged memory
/// they point to (UTF-8 strings, the nested lock options) until disposed, which callers do
/// right after the native call: the library copies what it keeps.
/// </summary>
internal sealed class NativeOptions : IDisposable
{
    // Room for the library's *_init to write a struct larger than the one this binding
    // knows (a newer libfilelock): options structs only grow at the end.
    const int InitBufferSize = 1024;

    readonly List<IntPtr> allocations = new();

    public LockOptionsNative Lock(LockOptions? options)
    {
        var native = Defaults<LockOptionsNative>(FilelockNative.fl_lock_options_init);
        if (options is null) return native;
        if (options.Backend is { } backend) native.backend = (int)backend;
        if (options.LockDirectory is { } dir) native.lock_dir = Utf8(NativePath.Check(dir, nameof(LockOptions.LockDirectory)));
        if (options.Sidecar is { } sidecar) native.sidecar = sidecar ? 1 : 0;
        if (options.FileMode is { } mode) native.file_mode = mode;
        if (options.Owner is { } owner) native.owner = Utf8(owner);
        if (options.RecordHolder is { } record) native.record_holder = record ? 1 : 0;
        if (options.RetryInterval is { } retry) native.retry_interval_ms = checked((int)Timeouts.ToMilliseconds(retry));
        if (options.StaleAfter is { } stale) native.stale_after_ms = Timeouts.ToMilliseconds(stale);
        if (options.EtcdTtl is { } ttl) native.etcd_ttl_ms = Timeouts.ToMilliseconds(ttl);
        if (options.EtcdDialTimeout is { } dial) native.etcd_dial_timeout_ms = Timeouts.ToMilliseconds(dial);
        if (options.EtcdRequestTimeout is { } request) native.etcd_request_timeout_ms = Timeouts.ToMilliseconds(request);
        if (options.EtcdTlsCa is { } ca) native.etcd_tls_ca = Utf8(ca);
        if (options.EtcdTlsCert is { } cert) native.etcd_tls_cert = Utf8(cert);
        if (options.EtcdTlsKey is { } key) native.etcd_tls_key = Utf8(key);
        if (options.EtcdUser is { } user) native.etcd_user = Utf8(user);
        if (options.EtcdPasswordFile is { } password) native.etcd_password_file = Utf8(password);
        return native;
    }

    public StateOptionsNative State(StateOptions? options)
    {
        var native = Defaults<StateOptionsNative>(FilelockNative.fl_state_options_init);
        if (options is null) return native;
        if (options.Durability is { } durability) native.durability = (int)durability;
        if (options.MaxBackups is { } backups) native.max_backups = backups;
        if (options.BackupBeforeWrite is { } backup) native.backup_before_write = backup ? 1 : 0;
        if (options.AuditLog is { } log) native.audit_log = log ? 1 : 0;
        if (options.ValidateOnRead is { } validate) native.validate_on_read = validate ? 1 : 0;
        if (options.Schema is { } schema) native.schema_json = Utf8(schema.ToJsonString());
        if (options.LockTimeout is { } timeout) native.lock_timeout_ms = Timeouts.ToMilliseconds(timeout);
        if (options.MetaDirectory is { } meta) native.meta_dir = Utf8(NativePath.Check(meta, nameof(StateOptions.MetaDirectory)));
        if (options.InitialDocument is { } initial) native.initial_json = Utf8(initial.ToJsonString());
        if (options.MaxLogBytes is { } maxLog) native.max_log_bytes = maxLog;
        if (options.JournalMaxBytes is { } journal) native.journal_max_bytes = journal;
        if (options.Lock is { } lockOptions)
        {
            var lockNative = Lock(lockOptions);
            var p = Marshal.AllocCoTaskMem(Marshal.SizeOf<LockOptionsNative>());
            allocations.Add(p);
            Marshal.StructureToPtr(lockNative, p, fDeleteOld: false);
            native.@lock = p;
        }
        return native;
    }

    IntPtr Utf8(string s)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        allocations.Add(p);
        return p;
    }

    static T Defaults<T>(Action<IntPtr> init) where T : struct
    {
        var buffer = Marshal.AllocCoTaskMem(InitBufferSize);
        try
        {
            Marshal.Copy(new byte[InitBufferSize], 0, buffer, InitBufferSize);
            init(buffer);
            // Tell the library which fields this binding knows about.
            Marshal.WriteInt32(buffer, Marshal.SizeOf<T>());
            return Marshal.PtrToStructure<T>(buffer);
        }
        finally
        {
            Marshal.FreeCoTaskMem(buffer);
        }
    }

    public void Dispose()
    {
        foreach (var p in allocations) Marshal.FreeCoTaskMem(p);
        allocations.Clear();
    }
}
