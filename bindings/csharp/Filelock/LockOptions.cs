namespace Filelock;

/// <summary>Options for opening a lock; unset (null) properties keep the library's defaults.</summary>
public sealed class LockOptions
{
    /// <summary>The locking mechanism; default <see cref="LockBackend.Auto"/>.</summary>
    public LockBackend? Backend { get; set; }
    /// <summary>Put the lock file in this directory instead of beside the path.</summary>
    public string? LockDirectory { get; set; }
    /// <summary>true (default): lock "&lt;path&gt;.lock"; false: lock the path itself.</summary>
    public bool? Sidecar { get; set; }
    /// <summary>Permissions of a created lock file (Unix mode bits); default 0644.</summary>
    public uint? FileMode { get; set; }
    /// <summary>A label recorded with the holder.</summary>
    public string? Owner { get; set; }
    /// <summary>true (default): exclusive holders record pid, host and start time.</summary>
    public bool? RecordHolder { get; set; }
    /// <summary>Lock-file backends: re-check interval where no wake-up is available.</summary>
    public TimeSpan? RetryInterval { get; set; }
    /// <summary>Lock-file backends: break another host's lock older than this.</summary>
    public TimeSpan? StaleAfter { get; set; }

    // An etcd:// name's connection settings, instead of in its query (ttl=, ...): one
    // given in both must agree, and a file path refuses them (ArgumentException-like
    // FL_EINVAL naming the field). A state takes them for its document and its lock.
    /// <summary>etcd:// names: the lease TTL, whole seconds (default 5 s).</summary>
    public TimeSpan? EtcdTtl { get; set; }
    /// <summary>etcd:// names: one TCP connect's timeout (default 2 s).</summary>
    public TimeSpan? EtcdDialTimeout { get; set; }
    /// <summary>etcd:// names: one request's timeout, failovers included (default 5 s).</summary>
    public TimeSpan? EtcdRequestTimeout { get; set; }
    /// <summary>etcd:// names: the CA file the members' certificates are checked against; turns TLS on.</summary>
    public string? EtcdTlsCa { get; set; }
    /// <summary>etcd:// names: this client's certificate file, with <see cref="EtcdTlsKey"/>.</summary>
    public string? EtcdTlsCert { get; set; }
    /// <summary>etcd:// names: the client certificate's key file.</summary>
    public string? EtcdTlsKey { get; set; }
    /// <summary>etcd:// names: the user for password authentication, with <see cref="EtcdPasswordFile"/>.</summary>
    public string? EtcdUser { get; set; }
    /// <summary>etcd:// names: a file whose first line is the password.</summary>
    public string? EtcdPasswordFile { get; set; }
}
