using Filelock.Native;

namespace Filelock;

// Fencing tokens and lost leases: etcd:// locks are held through a lease, which can
// expire while held (the holder paused, or cut off from etcd, for its TTL).
public sealed partial class FileLock
{
    /// <summary>How often <see cref="HandleLostToken"/>'s watch asks the library whether
    /// the lease is lost: the question reads two atomics and the clock in this process (no
    /// request to etcd), so a tight cadence costs nothing measurable.</summary>
    static readonly TimeSpan LostPollInterval = TimeSpan.FromMilliseconds(100);

    // Serialises the watch's fl_lock_lost with fl_unlock and fl_close, which change what
    // it reads; held only for those short calls.
    readonly object lostGate = new();
    LostWatch? lostWatch;

    /// <summary>The fencing token of the etcd:// lock this object holds: the create
    /// revision of the holder's key, which grows with every acquisition in the cluster. A
    /// store that remembers the largest token it has seen can refuse a write carrying a
    /// smaller one, from a holder whose lease expired meanwhile.</summary>
    /// <exception cref="FileLockException">Code <see cref="ErrorCode.Unsupported"/> for a
    /// file lock (the kernel keeps it until released: it never passes to another holder
    /// while held); <see cref="ErrorCode.NotLocked"/> when nothing is held.</exception>
    public long FencingToken
    {
        get
        {
            FilelockNative.fl_fencing_token(handle, out long token);
            return token;
        }
    }

    /// <summary>The fencing token, if this object holds an etcd:// lock; false for a
    /// file lock and when nothing is held.</summary>
    public bool TryGetFencingToken(out long token)
    {
        token = 0;
        if (!IsLocked) return false;
        try
        {
            token = FencingToken;
            return true;
        }
        catch (FileLockException e) when (e.Code is ErrorCode.Unsupported or ErrorCode.NotLocked)
        {
            return false;
        }
    }

    /// <summary>Whether the etcd:// lock this object holds is known lost: its lease expired,
    /// so another process may hold the lock now and <see cref="Release"/> will throw. It
    /// asks what the library's keep-alive last learned, with no request to etcd. Always
    /// false for file locks and when nothing is held.</summary>
    public bool IsLost => !handle.IsClosed && FilelockNative.fl_lock_lost(handle) == 1;

    /// <summary>As DistributedLock's <c>HandleLostToken</c>: a token cancelled once the
    /// lease of the etcd:// lock held now is known lost, for work done under the lock to
    /// stop. <see cref="CancellationToken.None"/> (never cancelled) for a file lock, which
    /// cannot be lost while held, and when nothing is held.</summary>
    /// <remarks>etcd tells the library about the lease only through the keep-alive's
    /// answers, so the token is cancelled by a poll of <see cref="IsLost"/> every 100 ms on
    /// a timer, started by the first read of this property and stopped by
    /// <see cref="Release"/> and <see cref="Dispose"/>: a token of an earlier acquisition
    /// is never cancelled for a later one's loss. The token's callbacks run on a
    /// thread-pool thread.</remarks>
    public CancellationToken HandleLostToken
    {
        get
        {
            lock (lostGate)
            {
                if (lostWatch is not null) return lostWatch.Token;
                if (!TryGetFencingToken(out _)) return CancellationToken.None;
                lostWatch = new LostWatch(this, FilelockNative.fl_lock_lost(handle) == 1);
                return lostWatch.Token;
            }
        }
    }

    /// <summary>Ends the current acquisition's watch, before the handle is unlocked or
    /// closed.</summary>
    void StopLostWatch()
    {
        lock (lostGate)
        {
            lostWatch?.Stop();
            lostWatch = null;
        }
    }

    /// <summary>The poll of one acquisition. Its timer holds the lock only weakly, so a
    /// FileLock forgotten without Dispose is still finalised (and its lock released).</summary>
    sealed class LostWatch
    {
        readonly CancellationTokenSource source = new();
        readonly Timer? timer;

        public LostWatch(FileLock owner, bool lostAlready)
        {
            Token = source.Token;
            if (lostAlready)
            {
                source.Cancel();  // nothing registered yet: no callback runs here
                return;
            }
            var weak = new WeakReference<FileLock>(owner);
            timer = new Timer(_ => Poll(weak), null, LostPollInterval, LostPollInterval);
        }

        public CancellationToken Token { get; }

        public void Stop() => timer?.Dispose();

        void Poll(WeakReference<FileLock> weak)
        {
            if (!weak.TryGetTarget(out var owner))
            {
                Stop();
                return;
            }
            lock (owner.lostGate)
            {
                // Only while this acquisition is the current one: the handle is held.
                if (owner.lostWatch != this || FilelockNative.fl_lock_lost(owner.handle) != 1) return;
                Stop();
            }
            // Outside the gate: callbacks may call Release or Dispose.
            source.Cancel();
        }
    }
}
