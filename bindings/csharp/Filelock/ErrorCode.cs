namespace Filelock;

/// <summary>The library's status codes (filelock.h FL_E*); values never change.</summary>
public enum ErrorCode
{
    /// <summary>Bad argument or input; nothing was changed.</summary>
    InvalidArgument = -1,
    /// <summary>Out of memory.</summary>
    OutOfMemory = -2,
    /// <summary>I/O error from the OS.</summary>
    Io = -3,
    /// <summary>Permission denied, or a path refused for safety (symlink).</summary>
    Permission = -4,
    /// <summary>File, directory, backup or JSON pointer target missing.</summary>
    NotFound = -5,
    /// <summary>A try-once lock found the lock held.</summary>
    Busy = -6,
    /// <summary>The timeout passed before the lock could be had.</summary>
    Timeout = -7,
    /// <summary>This handle already holds a lock.</summary>
    AlreadyLocked = -8,
    /// <summary>Unlock of a handle that holds no lock.</summary>
    NotLocked = -9,
    /// <summary>Waiting forever would deadlock this thread.</summary>
    Deadlock = -10,
    /// <summary>The wait was cancelled.</summary>
    Canceled = -11,
    /// <summary>The backend or filesystem cannot do this.</summary>
    Unsupported = -12,
    /// <summary>A file on disk is damaged (state, log, backup).</summary>
    Corrupt = -13,
    /// <summary>The document does not satisfy the schema.</summary>
    Validation = -14,
    /// <summary>A conditional write found that the generation moved.</summary>
    Conflict = -15,
    /// <summary>A value cannot be kept exactly.</summary>
    Range = -16,
    /// <summary>No space left on the device, or a file size limit.</summary>
    NoSpace = -17,
}
