using System.Diagnostics;
using Xunit;

namespace Filelock.Tests;

public class AsyncTests
{
    [Fact]
    public async Task AcquireAsyncTakesAFreeLock()
    {
        using var dir = new TempDir();
        using var l = await FileLock.AcquireAsync(dir.File("data.json"), TimeSpan.FromSeconds(5), LockMode.Shared);
        Assert.True(l.IsLocked);
        Assert.Equal(LockMode.Shared, l.Mode);
    }

    [Fact]
    public async Task AcquireAsyncCompletesWhenTheOtherProcessReleases()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = Helper.Start("hold", path, "Exclusive");
        Assert.Equal("locked", holder.ReadLine());
        var waiting = FileLock.AcquireAsync(path);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(0, holder.Finish());
        using var l = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(l.IsLocked);
    }

    [Fact]
    public async Task CancellingTheTokenEndsTheWaitAtOnce()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        using var cts = new CancellationTokenSource();
        var waiting = FileLock.AcquireAsync(path, cancellationToken: cts.Token);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        var watch = Stopwatch.StartNew();
        cts.Cancel();
        var e = await Assert.ThrowsAsync<LockCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"cancel took {watch.Elapsed}");
        Assert.True(waiting.IsCanceled);
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(ErrorCode.Canceled, e.Code);
        Assert.True(holder.IsLocked);
        holder.Release();
        using var after = FileLock.TryAcquire(path);
        Assert.NotNull(after);
    }

    [Fact]
    public async Task ACancelAfterTheWaitEndedDoesNotReachTheNextWait()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var waiter = FileLock.Open(path);
        // Ended by its timeout, then the token fires: the next waits run their course.
        using (var holder = FileLock.Acquire(path))
        {
            using var cts = new CancellationTokenSource();
            await Assert.ThrowsAsync<LockTimeoutException>(
                () => waiter.LockAsync(LockMode.Exclusive, TimeSpan.FromMilliseconds(30), cts.Token));
            cts.Cancel();
            Assert.Throws<LockTimeoutException>(() => waiter.Lock(LockMode.Exclusive, TimeSpan.FromMilliseconds(30)));
            await Assert.ThrowsAsync<LockTimeoutException>(
                () => waiter.LockAsync(LockMode.Exclusive, TimeSpan.FromMilliseconds(30), CancellationToken.None));
        }
        // Acquired, then the token fires: released and taken again without a cancel.
        using (var cts = new CancellationTokenSource())
        {
            await waiter.LockAsync(LockMode.Exclusive, Timeout.InfiniteTimeSpan, cts.Token);
            cts.Cancel();
            waiter.Release();
            waiter.Lock(LockMode.Exclusive, TimeSpan.Zero);
            Assert.True(waiter.IsLocked);
        }
    }

    [Fact]
    public async Task ACancellationThatRacesTheStartOfTheWaitIsNotLost()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        for (var i = 0; i < 20; i++)
        {
            using var cts = new CancellationTokenSource();
            var waiting = FileLock.AcquireAsync(path, cancellationToken: cts.Token);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        }
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenThrowsWithoutWaiting()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => FileLock.AcquireAsync(path, cancellationToken: cts.Token));
        using var l = FileLock.TryAcquire(path);
        Assert.NotNull(l);
    }

    [Fact]
    public async Task AsyncTimeoutIsATimeoutException()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        var e = await Assert.ThrowsAsync<LockTimeoutException>(
            () => FileLock.AcquireAsync(path, TimeSpan.FromMilliseconds(100)));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public async Task CancelFromAnotherThreadEndsABlockingWait()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        using var waiter = FileLock.Open(path);
        var blocked = Task.Run(() => waiter.Lock(LockMode.Exclusive, Timeout.InfiniteTimeSpan));
        await Task.Delay(200);
        Assert.False(blocked.IsCompleted);
        waiter.Cancel();
        var canceled = await Assert.ThrowsAsync<LockCanceledException>(() => blocked.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(ErrorCode.Canceled, canceled.Code);
        Assert.False(waiter.IsLocked);
    }

    [Fact]
    public async Task DisposingEndsAWaitInProgress()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = FileLock.Acquire(path);
        var waiter = FileLock.Open(path);
        var waiting = waiter.LockAsync(LockMode.Exclusive, Timeout.InfiniteTimeSpan);
        await Task.Delay(200);
        waiter.Dispose();
        await Assert.ThrowsAsync<LockCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        holder.Release();
        using var after = FileLock.TryAcquire(path);
        Assert.NotNull(after);
    }

    [Fact]
    public void ACancelRequestIsKeptForTheNextWaitOnly()
    {
        // Cancel() acts on the object (fl_cancel): a request made with no wait in
        // progress ends the next wait, and only that one.
        using var dir = new TempDir();
        using var l = FileLock.Open(dir.File("data.json"));
        l.Cancel();
        Assert.Throws<LockCanceledException>(() => l.Lock(LockMode.Exclusive, TimeSpan.FromSeconds(1)));
        Assert.True(l.TryLock(LockMode.Exclusive));
        l.Release();
        Assert.False(l.IsLocked);
    }
}
