using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

/// <summary>A test on the etcd cluster tests/etcd/run.sh starts (FILELOCK_TEST_ETCD),
/// skipped without one.</summary>
public sealed class EtcdFactAttribute : FactAttribute
{
    public EtcdFactAttribute()
    {
        if (string.IsNullOrEmpty(EtcdTests.Endpoints))
            Skip = "FILELOCK_TEST_ETCD is not set (tests/etcd/run.sh starts a cluster)";
    }
}

/// <summary>etcd:// names through the C# binding: the same FileLock and JsonState.</summary>
public class EtcdTests
{
    internal static string? Endpoints => Environment.GetEnvironmentVariable("FILELOCK_TEST_ETCD");

    static string Url(string name) =>
        $"etcd://{Endpoints}/fltest/cs-{Environment.ProcessId}-{Guid.NewGuid():N}/{name}?ttl=2";

    [EtcdFact]
    public void LockExcludesAndPassesOnAtRelease()
    {
        var url = Url("job");
        using var holder = FileLock.Acquire(url, TimeSpan.FromSeconds(10));
        Assert.True(holder.IsLocked);
        Assert.Equal(url, holder.LockPath);
        Assert.Null(FileLock.TryAcquire(url));
        var timeout = Assert.Throws<LockTimeoutException>(
            () => FileLock.Acquire(url, TimeSpan.FromMilliseconds(300)).Dispose());
        Assert.Contains(url, timeout.Message);
        holder.Release();
        using var next = FileLock.TryAcquire(url);
        Assert.NotNull(next);
    }

    [EtcdFact]
    public void StateTransactionsOfTwoProcessesLoseNoIncrement()
    {
        var url = Url("pipeline");
        using var state = new JsonState(url);
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["count"] = 0;
            txn.Commit();
        }
        using var a = Helper.Start("increment", url, "10");
        using var b = Helper.Start("increment", url, "10");
        Assert.Equal(0, a.WaitExit());
        Assert.Equal(0, b.WaitExit());
        Assert.Equal(20, state.Read()!["count"]!.GetValue<long>());
        var doc = state.Read(out var generation);
        state.Write(new JsonObject { ["count"] = 21 });
        Assert.Throws<StateConflictException>(() => state.WriteIf(doc, generation));
        Assert.Equal(21, state.Read()!["count"]!.GetValue<long>());
    }

    [EtcdFact]
    public void TheFencingTokenGrowsWithEveryAcquisition()
    {
        var url = Url("fenced");
        using var first = FileLock.Open(url);
        Assert.Equal(ErrorCode.NotLocked, Assert.Throws<FileLockException>(() => first.FencingToken).Code);
        Assert.False(first.TryGetFencingToken(out _));
        var tokens = new List<long>();
        for (var i = 0; i < 2; i++)
        {
            first.Lock(LockMode.Exclusive, TimeSpan.FromSeconds(10));
            Assert.True(first.TryGetFencingToken(out var token));
            Assert.Equal(token, first.FencingToken);
            Assert.False(first.IsLost);
            tokens.Add(token);
            first.Release();
        }
        using var second = FileLock.Acquire(url, TimeSpan.FromSeconds(10));
        tokens.Add(second.FencingToken);
        Assert.True(0 < tokens[0] && tokens[0] < tokens[1] && tokens[1] < tokens[2],
                    string.Join(", ", tokens));
        // Watched, and kept alive: never cancelled, also not by a clean release.
        var lost = second.HandleLostToken;
        Assert.True(lost.CanBeCanceled);
        Assert.False(lost.IsCancellationRequested);
        second.Release();
        Assert.False(lost.IsCancellationRequested);
        Assert.Equal(CancellationToken.None, second.HandleLostToken);
    }

    // A holder paused past its lease (SIGSTOP) learns when it resumes that its lock is
    // lost: IsLost, HandleLostToken cancelled, Release throwing the I/O error.
    [EtcdFact]
    public void AHolderPausedPastItsLeaseIsLostOnceAnotherTakesTheLock()
    {
        var url = Url("paused");
        using var holder = Helper.Start("hold-etcd", url);
        var said = holder.ReadLine().Split(' ');
        Assert.Equal("locked", said[0]);
        var paused = long.Parse(said[1]);
        Assert.Equal(0, Posix.kill(holder.Id, Posix.SIGSTOP));
        var resumed = false;
        try
        {
            // Its keep-alive stopped with it: the lease expires and the lock passes on.
            var start = DateTime.UtcNow;
            using var taker = FileLock.Acquire(url, TimeSpan.FromSeconds(15));
            Assert.True(DateTime.UtcNow - start < TimeSpan.FromSeconds(12));
            Assert.True(taker.FencingToken > paused, $"{taker.FencingToken} after {paused}");
            Assert.Equal(0, Posix.kill(holder.Id, Posix.SIGCONT));
            resumed = true;
            holder.Send("go");
            Assert.Equal("lost-token True", holder.ReadLine());
            Assert.Equal("lost True", holder.ReadLine());
            Assert.Equal("release Io", holder.ReadLine());
            Assert.Equal(0, holder.WaitExit());
            Assert.False(taker.IsLost);
        }
        finally
        {
            if (!resumed) Posix.kill(holder.Id, Posix.SIGCONT);
        }
    }

    // The lease TTL given as LockOptions.EtcdTtl (the name has none: 5 s by default)
    // takes effect: a killed holder's lock passes on within it. One also in the name
    // must agree.
    [EtcdFact]
    public void TheLeaseTtlAsAnOptionTakesEffect()
    {
        var url = Url("ttl").Replace("?ttl=2", "");
        using var holder = Helper.Start("hold-etcd", url, "2");
        Assert.StartsWith("locked ", holder.ReadLine());
        holder.Kill();
        var killed = DateTime.UtcNow;
        using (var taker = FileLock.Acquire(url, TimeSpan.FromSeconds(15)))
            Assert.True(DateTime.UtcNow - killed < TimeSpan.FromSeconds(5), $"passed on after {DateTime.UtcNow - killed}");
        var two = new LockOptions { EtcdTtl = TimeSpan.FromSeconds(2) };
        FileLock.Acquire(url + "?ttl=2s", TimeSpan.FromSeconds(5), LockMode.Exclusive, two).Dispose();
        var e = Assert.Throws<FileLockException>(
            () => FileLock.Acquire(url + "?ttl=5s", TimeSpan.FromSeconds(5), LockMode.Exclusive, two).Dispose());
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("etcd_ttl_ms", e.Message);
        Assert.Contains("ttl=5s", e.Message);
        // A state takes them through its lock options.
        using var state = new JsonState(url + "-state", new StateOptions { Lock = two });
        Assert.NotNull(state.Read());
    }

    internal static class Posix
    {
        internal const int SIGCONT = 18, SIGSTOP = 19;  // Linux (etcd tests run there)

        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int kill(int pid, int sig);
    }
}
