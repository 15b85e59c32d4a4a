using Xunit;

namespace Filelock.Tests;

/// <summary>Fencing tokens and lost leases are etcd:// things (EtcdTests): a file lock
/// cannot pass to another holder while held, so it has no token and is never lost.</summary>
public class FencingTests
{
    [Fact]
    public void AFileLockHasNoFencingTokenAndIsNeverLost()
    {
        using var dir = new TempDir();
        using var l = FileLock.Open(dir.File("data.json"));
        var notLocked = Assert.Throws<FileLockException>(() => l.FencingToken);
        Assert.Equal(ErrorCode.NotLocked, notLocked.Code);
        Assert.False(l.IsLost);
        Assert.Equal(CancellationToken.None, l.HandleLostToken);

        l.Lock(LockMode.Exclusive, TimeSpan.Zero);
        var unsupported = Assert.Throws<FileLockException>(() => l.FencingToken);
        Assert.Equal(ErrorCode.Unsupported, unsupported.Code);
        Assert.Contains($"fencing token '{l.LockPath}'", unsupported.Message);
        Assert.False(l.TryGetFencingToken(out var token));
        Assert.Equal(0, token);
        Assert.False(l.IsLost);
        var lost = l.HandleLostToken;
        Assert.False(lost.CanBeCanceled);  // never cancelled: no watch runs for a file lock
        l.Release();
        Assert.False(l.IsLost);
        l.Dispose();
        Assert.False(l.IsLost);
        Assert.Equal(CancellationToken.None, l.HandleLostToken);
    }
}
