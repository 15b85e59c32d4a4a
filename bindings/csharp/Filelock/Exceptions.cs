namespace Filelock;

/// <summary>
/// Implemented by every exception this library throws, so one filter catches them all:
/// <c>catch (Exception e) when (e is IFileLockException f)</c>. Most derive from
/// <see cref="FileLockException"/>; timeouts derive from <see cref="TimeoutException"/> and
/// cancellations from <see cref="OperationCanceledException"/>, so the usual catch clauses
/// work for them. Failures the OS caused derive from <see cref="IOException"/>: a missing
/// file or folder is a <see cref="FileNotFoundException"/>, a refusal an
/// <see cref="UnauthorizedAccessException"/>, as System.IO throws them.
/// </summary>
public interface IFileLockException
{
    /// <summary>The library's status code.</summary>
    ErrorCode Code { get; }
}

/// <summary>A filelock failure. The message names the operation, the path and the reason.</summary>
public class FileLockException : IOException, IFileLockException
{
    /// <summary>Creates the exception for a status code and the library's message.</summary>
    public FileLockException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>Creates the exception for a failure the OS caused.</summary>
    public FileLockException(ErrorCode code, string message, int osError, string? path)
        : base(message)
    {
        Code = code;
        OsError = osError;
        Path = path;
    }

    /// <inheritdoc/>
    public ErrorCode Code { get; }

    /// <summary>The OS error number (errno) behind the failure, or 0.</summary>
    public int OsError { get; }

    /// <summary>The path the failure is about, or null.</summary>
    public string? Path { get; }

    // errno values (the library reports them on every platform).
    const int ENOENT = 2, EPERM = 1, EACCES = 13, EROFS = 30;

    /// <summary>The exception for a status and this call's message, OS error and path
    /// (used by the native glue).</summary>
    internal static Exception FromStatus(int status, string message, int osError = 0, string? path = null)
    {
        var code = (ErrorCode)status;
        if (string.IsNullOrEmpty(message)) message = $"filelock error {status}";
        if (string.IsNullOrEmpty(path)) path = null;
        return code switch
        {
            ErrorCode.Timeout => new LockTimeoutException(message),
            ErrorCode.Canceled => new LockCanceledException(message),
            ErrorCode.Busy => new LockBusyException(message),
            ErrorCode.Conflict => new StateConflictException(message),
            ErrorCode.Validation => new StateValidationException(message),
            ErrorCode.Corrupt => new StateCorruptException(message),
            _ when osError is ENOENT => new FileLockNotFoundException(code, message, osError, path),
            _ when osError is EACCES or EPERM or EROFS => new FileLockAccessException(code, message, osError, path),
            _ when osError != 0 => new FileLockException(code, message, osError, path),
            _ => new FileLockException(code, message),
        };
    }
}

/// <summary>A file or folder the call needs is missing (the OS said ENOENT).</summary>
public class FileLockNotFoundException : FileNotFoundException, IFileLockException
{
    /// <summary>Creates the exception with the library's message, OS error and path.</summary>
    public FileLockNotFoundException(ErrorCode code, string message, int osError, string? path)
        : base(message, path)
    {
        Code = code;
        OsError = osError;
    }

    /// <inheritdoc/>
    public ErrorCode Code { get; }

    /// <summary>The OS error number (errno) behind the failure.</summary>
    public int OsError { get; }
}

/// <summary>The OS refused the call (permissions, a read-only filesystem).</summary>
public class FileLockAccessException : UnauthorizedAccessException, IFileLockException
{
    /// <summary>Creates the exception with the library's message, OS error and path.</summary>
    public FileLockAccessException(ErrorCode code, string message, int osError, string? path)
        : base(message)
    {
        Code = code;
        OsError = osError;
        Path = path;
    }

    /// <inheritdoc/>
    public ErrorCode Code { get; }

    /// <summary>The OS error number (errno) behind the failure.</summary>
    public int OsError { get; }

    /// <summary>The path the failure is about, or null.</summary>
    public string? Path { get; }
}

/// <summary>A try-once acquisition found the lock held (<see cref="ErrorCode.Busy"/>).</summary>
public class LockBusyException : FileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public LockBusyException(string message) : base(ErrorCode.Busy, message) { }
}

/// <summary>The state's generation moved before a conditional write (<see cref="ErrorCode.Conflict"/>).</summary>
public class StateConflictException : FileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public StateConflictException(string message) : base(ErrorCode.Conflict, message) { }
}

/// <summary>The document does not satisfy the schema (<see cref="ErrorCode.Validation"/>).</summary>
public class StateValidationException : FileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public StateValidationException(string message) : base(ErrorCode.Validation, message) { }
}

/// <summary>A state file, log or backup on disk is damaged (<see cref="ErrorCode.Corrupt"/>).</summary>
public class StateCorruptException : FileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public StateCorruptException(string message) : base(ErrorCode.Corrupt, message) { }
}

/// <summary>The lock could not be had within the timeout (<see cref="ErrorCode.Timeout"/>).</summary>
public class LockTimeoutException : TimeoutException, IFileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public LockTimeoutException(string message) : base(message) { }

    /// <inheritdoc/>
    public ErrorCode Code => ErrorCode.Timeout;
}

/// <summary>A wait was cancelled (<see cref="ErrorCode.Canceled"/>), by a
/// <see cref="CancellationToken"/> or <see cref="FileLock.Cancel"/>.</summary>
public class LockCanceledException : OperationCanceledException, IFileLockException
{
    /// <summary>Creates the exception with the library's message.</summary>
    public LockCanceledException(string message) : base(message) { }

    /// <summary>Creates the exception for a wait ended by <paramref name="token"/>.</summary>
    public LockCanceledException(string message, CancellationToken token) : base(message, token) { }

    /// <inheritdoc/>
    public ErrorCode Code => ErrorCode.Canceled;
}
