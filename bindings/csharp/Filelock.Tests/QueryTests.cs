using Xunit;

namespace Filelock.Tests;

/// <summary>FileLock.Query with default options reports the backend whose lock is on disk.</summary>
public class QueryTests
{
    // A LOCKFILE or LOCKDIR holder in another process is found without naming the
    // backend: alive while it runs, stale once it is killed.
    [Theory]
    [InlineData(LockBackend.LockFile, "lockfile")]
    [InlineData(LockBackend.LockDir, "lockdir")]
    public void ANameLockHolderIsFoundWithDefaultOptions(LockBackend backend, string name)
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = Helper.Start("hold-backend", path, backend.ToString());
        Assert.Equal("locked", holder.ReadLine());
        var pid = holder.Id;

        var live = FileLock.Query(path);
        Assert.Equal(name, live["backend"]!.GetValue<string>());
        Assert.True(live["locked"]!.GetValue<bool>());
        Assert.Equal(pid, live["holder"]!["pid"]!.GetValue<int>());
        Assert.Equal("cs-helper", live["holder"]!["owner"]!.GetValue<string>());
        Assert.True(live["alive"]!.GetValue<bool>());
        Assert.False(live["stale"]!.GetValue<bool>());

        holder.Kill();
        var dead = FileLock.Query(path);
        Assert.Equal(name, dead["backend"]!.GetValue<string>());
        Assert.Equal(pid, dead["holder"]!["pid"]!.GetValue<int>());
        Assert.False(dead["alive"]!.GetValue<bool>());
        Assert.True(dead["stale"]!.GetValue<bool>());
    }
}
