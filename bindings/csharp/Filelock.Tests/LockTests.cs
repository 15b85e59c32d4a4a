using System.Diagnostics;
using Xunit;

namespace Filelock.Tests;

public class LockTests
{
    static readonly TimeSpan Short = TimeSpan.FromMilliseconds(200);

    [Fact]
    public void AcquireHoldsUntilDisposed()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using (var l = FileLock.Acquire(path, TimeSpan.FromSeconds(5)))
        {
            Assert.True(l.IsLocked);
            Assert.Equal(LockMode.Exclusive, l.Mode);
            Assert.Equal(path, l.Path);
            Assert.Equal(path + ".lock", l.LockPath);
            Assert.Null(FileLock.TryAcquire(path));
        }
        using var again = FileLock.TryAcquire(path);
        Assert.NotNull(again);
    }

    [Fact]
    public void SharedHoldersCoexistAndExcludeAnExclusiveOne()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var a = FileLock.Acquire(path, Short, LockMode.Shared);
        using var b = FileLock.Acquire(path, Short, LockMode.Shared);
        Assert.Equal(LockMode.Shared, b.Mode);
        Assert.Null(FileLock.TryAcquire(path, LockMode.Exclusive));
        a.Release();
        b.Release();
        using var c = FileLock.TryAcquire(path, LockMode.Exclusive);
        Assert.NotNull(c);
    }

    [Fact]
    public void TimeoutIsATimeoutExceptionWithCodeAndMessage()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        var watch = Stopwatch.StartNew();
        var e = Assert.Throws<LockTimeoutException>(() => FileLock.Acquire(path, Short));
        Assert.True(watch.Elapsed >= Short - TimeSpan.FromMilliseconds(20), $"returned after {watch.Elapsed}");
        Assert.IsAssignableFrom<TimeoutException>(e);
        Assert.Equal(ErrorCode.Timeout, ((IFileLockException)e).Code);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ZeroTimeoutOnAHeldLockIsBusy()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        var e = Assert.Throws<LockBusyException>(() => FileLock.Acquire(path, TimeSpan.Zero));
        Assert.Equal(ErrorCode.Busy, e.Code);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ReleaseIsIdempotentAndTheLockCanBeTakenAgain()
    {
        using var dir = new TempDir();
        using var l = FileLock.Open(dir.File("data.json"));
        Assert.False(l.IsLocked);
        l.Release();
        l.Lock(LockMode.Exclusive, Short);
        Assert.True(l.IsLocked);
        l.Release();
        l.Release();
        Assert.False(l.IsLocked);
        Assert.Null(l.Mode);
        Assert.True(l.TryLock(LockMode.Shared));
    }

    [Fact]
    public void LockingTwiceOnOneObjectIsAlreadyLocked()
    {
        using var dir = new TempDir();
        using var l = FileLock.Acquire(dir.File("data.json"));
        var e = Assert.Throws<FileLockException>(() => l.Lock(LockMode.Exclusive, Short));
        Assert.Equal(ErrorCode.AlreadyLocked, e.Code);
        Assert.False(string.IsNullOrEmpty(e.Message));
    }

    [Fact]
    public void OpenFailureNamesThePathAndReason()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "missing-dir", "data.json");
        var e = Assert.Throws<FileLockNotFoundException>(() => FileLock.Acquire(path, Short));
        Assert.Equal(ErrorCode.NotFound, e.Code);
        Assert.Contains(path, e.Message);
        Assert.Contains("No such file or directory", e.Message);
    }

    [Fact]
    public void NegativeTimeoutOtherThanInfiniteIsRejected()
    {
        using var dir = new TempDir();
        Assert.Throws<ArgumentOutOfRangeException>(() => FileLock.Acquire(dir.File("x"), TimeSpan.FromSeconds(-2)));
    }

    [Fact]
    public void LockDirectoryAndOwnerOptionsAreUsed()
    {
        using var dir = new TempDir();
        var locks = Directory.CreateDirectory(dir.File("locks")).FullName;
        using var l = FileLock.Acquire(dir.File("data.json"), Short, LockMode.Exclusive,
                                       new LockOptions { LockDirectory = locks, Owner = "csharp-test" });
        Assert.StartsWith(locks, l.LockPath);
        var info = FileLock.Query(dir.File("data.json"), new LockOptions { LockDirectory = locks });
        Assert.True(info["locked"]!.GetValue<bool>());
        Assert.Equal("csharp-test", info["holder"]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public void QueryReportsTheHolderWithoutDisturbingIt()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        Assert.False(FileLock.Query(path)["locked"]!.GetValue<bool>());
        using var l = FileLock.Acquire(path);
        var info = FileLock.Query(path);
        Assert.True(info["locked"]!.GetValue<bool>());
        Assert.Equal(Environment.ProcessId, info["holder"]!["pid"]!.GetValue<int>());
        Assert.True(l.IsLocked);
    }

    [Fact]
    public void ScanListsLockFilesAndCleanStaleRemovesUnheldOnes()
    {
        using var dir = new TempDir();
        using (FileLock.Acquire(dir.File("a.json"))) { }
        using var held = FileLock.Acquire(dir.File("b.json"));
        var scan = FileLock.Scan(dir.Path);
        Assert.Equal(2, scan["locks"]!.AsArray().Count);

        var report = FileLock.CleanStale(dir.Path, TimeSpan.Zero);
        var removed = report["removed"]!.AsArray().Select(r => r!["lock_path"]!.GetValue<string>()).ToList();
        Assert.Equal(new[] { dir.File("a.json.lock") }, removed);
        Assert.False(File.Exists(dir.File("a.json.lock")));
        Assert.True(File.Exists(dir.File("b.json.lock")));
        Assert.True(held.IsLocked);
    }

    [Fact]
    public void AForgottenLockIsReleasedByTheFinalizer()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        AcquireAndDrop(path);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var l = FileLock.TryAcquire(path);
        Assert.NotNull(l);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void AcquireAndDrop(string path) => FileLock.Acquire(path);

    [Fact]
    public void UseAfterDisposeIsAnObjectDisposedException()
    {
        using var dir = new TempDir();
        var l = FileLock.Acquire(dir.File("data.json"));
        l.Dispose();
        l.Dispose();
        Assert.False(l.IsLocked);
        Assert.Throws<ObjectDisposedException>(() => l.Lock(LockMode.Exclusive, Short));
    }

    [Fact]
    public void EachThreadsExceptionCarriesTheMessageOfItsOwnCall()
    {
        using var dir = new TempDir();
        var wrong = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            var path = Path.Combine(dir.Path, $"missing-{i}", "data.json");
            for (var n = 0; n < 200; n++)
            {
                try
                {
                    FileLock.Open(path).Dispose();
                    wrong.Add($"{path}: opened");
                }
                catch (FileLockNotFoundException e) when (!e.Message.Contains(path) ||
                                                          e.FileName != path + ".lock")
                {
                    wrong.Add($"{path}: {e.Message} ({e.FileName})");
                }
                catch (FileLockNotFoundException)
                {
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Empty(wrong);
    }
}
