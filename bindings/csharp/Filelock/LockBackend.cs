namespace Filelock;

/// <summary>The locking mechanism (filelock.h fl_backend).</summary>
public enum LockBackend
{
    /// <summary>The kernel lock that works on the path's filesystem.</summary>
    Auto = 0,
    /// <summary>flock(2): interoperates with flock(1), py-filelock and gofrs/flock.</summary>
    Flock = 1,
    /// <summary>Linux open-file-description fcntl locks.</summary>
    Ofd = 2,
    /// <summary>Classic fcntl record locks (NFS); per process.</summary>
    Posix = 3,
    /// <summary>An O_EXCL lock file; exclusive only.</summary>
    LockFile = 4,
    /// <summary>A lock directory made with mkdir; exclusive only.</summary>
    LockDir = 5,
    /// <summary>LockFileEx (Windows).</summary>
    Windows = 6,
}
