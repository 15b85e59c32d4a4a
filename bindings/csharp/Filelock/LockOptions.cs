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
}
