namespace Filelock;

/// <summary>
/// Implemented by every exception this library throws, so one filter catches them all:
/// <c>catch (Exception e) when (e is IFileLockException f)</c>. Most derive from
/// <see cref="FileLockException"/>; timeouts derive from <see cref="TimeoutException"/> and
/// cancellations from <see cref="OperationCanceledException"/>, so the usual catch clauses
/// work for them.
/// </summary>
public interface IFileLockException
{
    /// <summary>The library's status code.</summary>
    ErrorCode Code { get; }
}

/// <summary>A filelock failure. The message names the operation, the path and the reason.</summary>
public class FileLockException : Exception, IFileLockException
{
    /// <summary>Creates the exception for a status code and the library's message.</summary>
    public FileLockException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <inheritdoc/>
    public ErrorCode Code { get; }

    /// <summary>The exception for a status and this call's message (used by the native glue).</summary>
    internal static Exception FromStatus(int status, string message)
    {
        var code = (ErrorCode)status;
        if (string.IsNullOrEmpty(message)) message = $"filelock error {status}";
        return code switch
        {
            ErrorCode.Timeout => new LockTimeoutException(message),
            ErrorCode.Canceled => new LockCanceledException(message),
            ErrorCode.Busy => new LockBusyException(message),
            ErrorCode.Conflict => new StateConflictException(message),
            ErrorCode.Validation => new StateValidationException(message),
            ErrorCode.Corrupt => new StateCorruptException(message),
            _ => new FileLockException(code, message),
        };
    }
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
