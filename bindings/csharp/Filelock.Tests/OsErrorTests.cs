using Xunit;

namespace Filelock.Tests;

/// <summary>Failures the OS caused are the System.IO exceptions callers already catch.</summary>
public class OsErrorTests
{
    [Fact]
    public void MissingFolderIsAFileNotFoundException()
    {
        using var dir = new TempDir();
        var path = System.IO.Path.Combine(dir.Path, "no-such-dir", "data.json");
        var e = Assert.Throws<FileLockNotFoundException>(() => FileLock.Acquire(path, TimeSpan.Zero));
        Assert.IsAssignableFrom<FileNotFoundException>(e);
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Equal(ErrorCode.NotFound, e.Code);
        Assert.Equal(2, e.OsError);
        Assert.Equal(path + ".lock", e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OtherFailuresAreIOExceptionsWithoutAnOsError()
    {
        using var dir = new TempDir();
        var path = dir.File("held");
        using var holder = FileLock.Acquire(path, TimeSpan.Zero);
        var e = Assert.Throws<LockBusyException>(() => FileLock.Acquire(path, TimeSpan.Zero));
        Assert.IsAssignableFrom<IOException>(e);
        Assert.Equal(0, e.OsError);
    }

    [Fact]
    public async Task HandlesAreAsyncDisposable()
    {
        using var dir = new TempDir();
        var path = dir.File("async");
        await using (var held = FileLock.Acquire(path, TimeSpan.Zero))
        {
            Assert.True(held.IsLocked);
            Assert.Null(FileLock.TryAcquire(path));
        }
        await using (var again = FileLock.TryAcquire(path))
            Assert.NotNull(again);

        await using var state = new JsonState(dir.File("state.json"));
        await using (var txn = state.BeginTransaction())
        {
            txn.Data!["k"] = 1;
        } // disposed without a commit: rolled back
        Assert.Null(state.Read()!["k"]);
    }
}
