using System.Diagnostics;
using Xunit;

namespace Filelock.Tests;

/// <summary>flock(1) locks the path it is given; <c>Sidecar = false</c> locks that same
/// file, so the two exclude each other both ways (real flock(1) processes).</summary>
public class NoSidecarTests
{
    static readonly LockOptions PathItself = new() { Sidecar = false };

    static string? FlockBinary() =>
        new[] { "/usr/bin/flock", "/bin/flock" }.FirstOrDefault(File.Exists);

    static Process Flock(string flock, params string[] args)
    {
        var info = new ProcessStartInfo(flock)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    static async Task<bool> Within(Task task, TimeSpan timeout) =>
        await Task.WhenAny(task, Task.Delay(timeout)) == task;

    static async Task<string?> ReadLine(Process p, TimeSpan timeout)
    {
        var read = p.StandardOutput.ReadLineAsync();
        return await Within(read, timeout) ? await read : null;
    }

    [Fact]
    public async Task ExcludesFlock1BothWays()
    {
        if (!OperatingSystem.IsLinux() || FlockBinary() is not { } flock) return; // util-linux only
        using var dir = new TempDir();
        var path = dir.File("job.lock");

        // We hold; flock(1) asks.
        using (var held = FileLock.Acquire(path, TimeSpan.FromSeconds(5), LockMode.Exclusive, PathItself))
        {
            Assert.Equal(path, held.LockPath);
            using var tryFlock = Flock(flock, "-n", path, "true");
            Assert.True(await Within(tryFlock.WaitForExitAsync(), TimeSpan.FromSeconds(30)));
            Assert.Equal(1, tryFlock.ExitCode);
            using var waiter = Flock(flock, path, "-c", "echo locked");
            var line = waiter.StandardOutput.ReadLineAsync();
            Assert.False(await Within(line, TimeSpan.FromMilliseconds(300)), "flock(1) got the lock while we held it");
            held.Release();
            Assert.True(await Within(line, TimeSpan.FromSeconds(30)), "flock(1) waiter not woken by the release");
            Assert.Equal("locked", await line);
            Assert.True(await Within(waiter.WaitForExitAsync(), TimeSpan.FromSeconds(30)));
        }

        // flock(1) holds; we ask.
        using var holder = Flock(flock, path, "-c", "echo locked; cat >/dev/null");
        try
        {
            Assert.Equal("locked", await ReadLine(holder, TimeSpan.FromSeconds(30)));
            Assert.Null(FileLock.TryAcquire(path, LockMode.Exclusive, PathItself));
            var wait = FileLock.AcquireAsync(path, TimeSpan.FromSeconds(30), LockMode.Exclusive, PathItself);
            Assert.False(await Within(wait, TimeSpan.FromMilliseconds(300)), "got the lock while flock(1) held it");
            holder.StandardInput.Close();
            Assert.True(await Within(wait, TimeSpan.FromSeconds(30)), "not woken by flock(1)'s release");
            (await wait).Dispose();
        }
        finally
        {
            if (!holder.HasExited) holder.Kill();
        }
    }
}
