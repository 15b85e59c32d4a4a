using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

/// <summary>A path with a NUL would reach the library cut at the NUL (a different file):
/// every call that takes a path throws ArgumentException before anything is made.</summary>
public class PathTests
{
    public static IEnumerable<object[]> Calls() => new[]
    {
        "FileLock.Open", "FileLock.Acquire", "FileLock.TryAcquire", "FileLock.AcquireAsync",
        "LockOptions.LockDirectory", "FileLock.Query", "FileLock.Scan", "FileLock.CleanStale",
        "JsonLines.Append", "JsonState", "StateOptions.MetaDirectory", "StateOptions.Lock.LockDirectory",
    }.Select(name => new object[] { name });

    static void Call(string name, string good, string bad, string badDir)
    {
        switch (name)
        {
            case "FileLock.Open": FileLock.Open(bad).Dispose(); break;
            case "FileLock.Acquire": FileLock.Acquire(bad, TimeSpan.FromSeconds(1)).Dispose(); break;
            case "FileLock.TryAcquire": FileLock.TryAcquire(bad)?.Dispose(); break;
            case "FileLock.AcquireAsync": FileLock.AcquireAsync(bad, TimeSpan.FromSeconds(1)).GetAwaiter().GetResult().Dispose(); break;
            case "LockOptions.LockDirectory": FileLock.Open(good, new LockOptions { LockDirectory = badDir }).Dispose(); break;
            case "FileLock.Query": FileLock.Query(bad); break;
            case "FileLock.Scan": FileLock.Scan(badDir); break;
            case "FileLock.CleanStale": FileLock.CleanStale(badDir, TimeSpan.Zero); break;
            case "JsonLines.Append": JsonLines.Append(bad, new JsonObject()); break;
            case "JsonState": new JsonState(bad).Dispose(); break;
            case "StateOptions.MetaDirectory": new JsonState(good, new StateOptions { MetaDirectory = badDir }).Dispose(); break;
            case "StateOptions.Lock.LockDirectory":
                new JsonState(good, new StateOptions { Lock = new LockOptions { LockDirectory = badDir } }).Dispose();
                break;
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    [Theory]
    [MemberData(nameof(Calls))]
    public void APathWithANulIsRefused(string name)
    {
        using var dir = new TempDir();
        var good = dir.File("report.csv");
        var e = Assert.ThrowsAny<ArgumentException>(() => Call(name, good, good + "\0-other", dir.Path + "\0-other"));
        Assert.IsNotType<ArgumentNullException>(e);
        Assert.Contains("NUL", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
    }

    [Fact]
    public void RestoreRefusesABackupIdWithANul()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("s.json"));
        state.Write(new JsonObject { ["n"] = 1 });
        var id = state.CreateBackup();
        Assert.Throws<ArgumentException>(() => state.Restore(id + "\0-other"));
    }
}
