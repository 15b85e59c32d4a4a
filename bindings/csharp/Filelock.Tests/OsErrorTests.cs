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

    // A refusal needs a user the OS refuses: the owner of a directory without write
    // permission, or (root being refused nothing) a helper process that became "nobody".
    [Fact]
    public void RefusalIsAnUnauthorizedAccessException()
    {
        if (OperatingSystem.IsWindows()) return; // permissions are POSIX modes here
        using var dir = new TempDir();
        var closed = System.IO.Path.Combine(dir.Path, "closed");
        Directory.CreateDirectory(closed);
        File.SetUnixFileMode(closed, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var path = System.IO.Path.Combine(closed, "data.json");
        string[] lines;
        if (Program.Posix.geteuid() == 0)
        {
            using var helper = Helper.Start("refused", path);
            Assert.Equal(0, helper.WaitExit());
            lines = helper.RemainingOutput();
        }
        else
        {
            lines = new[] { Describe(() => FileLock.Acquire(path, TimeSpan.Zero)), Describe(() => new JsonState(path)) };
        }
        // EACCES (13), naming what was refused: the file or its folder.
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            const string expected = "FileLockAccessException True False Permission 13 ";
            Assert.StartsWith(expected, line);
            Assert.StartsWith(closed, line[expected.Length..]);
        }
        Assert.False(File.Exists(path));
    }

    static string Describe(Func<IDisposable> open)
    {
        var e = Assert.ThrowsAny<Exception>(() => open().Dispose());
        var f = e as FileLockAccessException;
        return $"{e.GetType().Name} {e is UnauthorizedAccessException} {e is IOException} {f?.Code} {f?.OsError} {f?.Path}";
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
