using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock;

/// <summary>
/// A cross-process lock on a path (by default on "&lt;path&gt;.lock" beside it). Excludes
/// other processes and other FileLock objects in this process; a waiter wakes as soon as
/// the holder releases, and a crashed holder's lock is released by the kernel.
/// </summary>
/// <remarks>One thread at a time may use an instance, except <see cref="Cancel"/>, which
/// any thread may call. Dispose releases the lock; so does the finalizer if Dispose is
/// forgotten.</remarks>
/// <example><code>
/// using var l = FileLock.Acquire("pipeline.json", TimeSpan.FromSeconds(10), LockMode.Shared);
/// </code></example>
public sealed partial class FileLock : IDisposable, IAsyncDisposable
{
    readonly FileLockHandle handle;

    FileLock(string path, FileLockHandle handle)
    {
        Path = path;
        this.handle = handle;
    }

    /// <summary>The path this lock protects.</summary>
    public string Path { get; }

    /// <summary>The lock file actually locked.</summary>
    public string LockPath => FilelockNative.fl_lock_path(handle);

    /// <summary>Whether this object holds the lock now.</summary>
    public bool IsLocked => !handle.IsClosed && FilelockNative.fl_is_locked(handle) == 1;

    /// <summary>The mode held, or null when not locked.</summary>
    public LockMode? Mode { get; private set; }

    /// <summary>Opens (creating if needed) the lock file for <paramref name="path"/> without locking.</summary>
    public static FileLock Open(string path, LockOptions? options = null)
    {
        NativePath.Check(path, nameof(path));
        using var native = new NativeOptions();
        var opts = native.Lock(options);
        FilelockNative.fl_open(out var handle, path, ref opts);
        return new FileLock(path, handle);
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the lock
    /// (<see cref="Timeout.InfiniteTimeSpan"/>: forever; zero: try once).</summary>
    /// <exception cref="LockTimeoutException">The timeout passed.</exception>
    /// <exception cref="LockBusyException">The timeout was zero and the lock is held.</exception>
    public static FileLock Acquire(string path, TimeSpan timeout, LockMode mode = LockMode.Exclusive,
                                   LockOptions? options = null)
    {
        var fileLock = Open(path, options);
        try
        {
            fileLock.Lock(mode, timeout);
            return fileLock;
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>Waits as long as it takes for the lock.</summary>
    public static FileLock Acquire(string path, LockMode mode = LockMode.Exclusive, LockOptions? options = null) =>
        Acquire(path, Timeout.InfiniteTimeSpan, mode, options);

    /// <summary>Takes the lock if it is free now; null if someone holds it.</summary>
    public static FileLock? TryAcquire(string path, LockMode mode = LockMode.Exclusive, LockOptions? options = null)
    {
        var fileLock = Open(path, options);
        if (fileLock.TryLock(mode)) return fileLock;
        fileLock.Dispose();
        return null;
    }

    /// <summary>Waits for the lock on a thread-pool thread. Cancelling
    /// <paramref name="cancellationToken"/> ends the wait at once (the task is cancelled).</summary>
    public static async Task<FileLock> AcquireAsync(string path, TimeSpan timeout, LockMode mode = LockMode.Exclusive,
                                                    LockOptions? options = null,
                                                    CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var fileLock = Open(path, options);
        try
        {
            await fileLock.LockAsync(mode, timeout, cancellationToken).ConfigureAwait(false);
            return fileLock;
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>Waits for the lock on a thread-pool thread until acquired or cancelled.</summary>
    public static Task<FileLock> AcquireAsync(string path, LockMode mode = LockMode.Exclusive, LockOptions? options = null,
                                              CancellationToken cancellationToken = default) =>
        AcquireAsync(path, Timeout.InfiniteTimeSpan, mode, options, cancellationToken);

    /// <summary>Locks this handle, waiting up to <paramref name="timeout"/>.</summary>
    public void Lock(LockMode mode, TimeSpan timeout)
    {
        FilelockNative.fl_lock(handle, (int)mode, Timeouts.ToMilliseconds(timeout));
        Mode = mode;
    }

    /// <summary>Locks this handle if the lock is free now.</summary>
    public bool TryLock(LockMode mode)
    {
        try
        {
            Lock(mode, TimeSpan.Zero);
            return true;
        }
        catch (LockBusyException)
        {
            return false;
        }
    }

    /// <summary>Locks this handle, blocking a thread-pool thread; the token cancels the wait
    /// (through a cancel token of that wait alone, so a cancel that comes after the wait
    /// ended changes nothing for this object's next wait).</summary>
    public async Task LockAsync(LockMode mode, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var timeoutMs = Timeouts.ToMilliseconds(timeout);
        using var cancel = CancelTokenHandle.Create();
        try
        {
            // Registered before the wait starts: a token already triggered fails it at once.
            using (cancellationToken.Register(cancel.Trigger))
            {
                await Task.Run(() => LockOnPoolThread(mode, timeoutMs, cancel), CancellationToken.None)
                          .ConfigureAwait(false);
            }
        }
        catch (LockCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new LockCanceledException(e.Message, cancellationToken);
        }
        Mode = mode;
    }

    /// <summary>How long each fl_lock call of an async wait without timeout lasts.</summary>
    const long ForeverSliceMs = 60 * 60 * 1000;

    /// <summary>fl_lock_with for the async methods. A wait without timeout is a loop of
    /// long timed waits, not FL_FOREVER: the library refuses FL_FOREVER (Deadlock) when the
    /// calling OS thread holds the lock through another handle, and a pool thread may
    /// well have taken it for another task that is free to release it.</summary>
    void LockOnPoolThread(LockMode mode, long timeoutMs, CancelTokenHandle cancel)
    {
        var wait = WaitOptionsNative.Default();
        using var use = cancel.Use(out wait.cancel);
        if (timeoutMs != Timeouts.Forever)
        {
            wait.timeout_ms = timeoutMs;
            FilelockNative.fl_lock_with(handle, (int)mode, ref wait);
            return;
        }
        wait.timeout_ms = ForeverSliceMs;
        while (true)
        {
            try
            {
                FilelockNative.fl_lock_with(handle, (int)mode, ref wait);
                return;
            }
            catch (LockTimeoutException) { }
        }
    }

    /// <summary>Ends a wait in progress on this object (it throws <see cref="LockCanceledException"/>);
    /// if none is in progress, the next wait ends at once. Safe from any thread.</summary>
    public void Cancel()
    {
        if (handle.IsClosed) return;
        try
        {
            FilelockNative.fl_cancel(handle);
        }
        catch (ObjectDisposedException)
        {
            // Closed by another thread meanwhile: there is no wait left to end.
        }
    }

    /// <summary>Releases the lock if held; does nothing otherwise.</summary>
    public void Release()
    {
        if (handle.IsClosed || FilelockNative.fl_is_locked(handle) != 1) return;
        StopLostWatch();
        FilelockNative.fl_unlock(handle);
        Mode = null;
    }

    /// <summary>Releases the lock and closes the lock file. A wait in progress on another
    /// thread ends with <see cref="LockCanceledException"/>; the file is closed when it has.</summary>
    public void Dispose()
    {
        Mode = null;
        Cancel();
        StopLostWatch();
        handle.Dispose();
    }

    /// <summary>As <see cref="Dispose"/>, for <c>await using</c>; it never blocks.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The state of the lock for <paramref name="path"/> (holders, pid, age, staleness),
    /// without disturbing anyone.</summary>
    public static JsonObject Query(string path, LockOptions? options = null)
    {
        NativePath.Check(path, nameof(path));
        using var native = new NativeOptions();
        var opts = native.Lock(options);
        FilelockNative.fl_query(path, ref opts, out var json);
        return Json.ParseObject(json);
    }

    /// <summary>The lock files directly under <paramref name="directory"/>, as a report
    /// {"dir","locks":[...]}.</summary>
    public static JsonObject Scan(string directory)
    {
        NativePath.Check(directory, nameof(directory));
        FilelockNative.fl_scan(directory, out var json);
        return Json.ParseObject(json);
    }

    /// <summary>Removes unheld lock files under <paramref name="directory"/> older than
    /// <paramref name="minAge"/>; returns {"dir","removed","kept","errors"}.</summary>
    public static JsonObject CleanStale(string directory, TimeSpan minAge)
    {
        NativePath.Check(directory, nameof(directory));
        FilelockNative.fl_clean_stale(directory, Timeouts.ToMilliseconds(minAge), out var json);
        return Json.ParseObject(json);
    }
}
