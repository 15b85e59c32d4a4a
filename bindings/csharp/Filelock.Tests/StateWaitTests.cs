using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

/// <summary>WaitForChange and WaitForChangeAsync: woken by another process's commit,
/// ended by a timeout or a cancelled token.</summary>
public class StateWaitTests
{
    [Fact]
    public async Task CommitOfAnotherProcessWakesTheWait()
    {
        using var dir = new TempDir();
        var path = dir.File("watched.json");
        using var state = new JsonState(path);
        state.Read(out var before);
        var waiting = state.WaitForChangeAsync(before);
        using var writer = Helper.Start("increment", path, "1");
        Assert.Equal("ack", writer.ReadLine());
        Assert.Equal(before + 1, await waiting.WaitAsync(TimeSpan.FromSeconds(60)));
        // Already past: at once.
        Assert.Equal(before + 1, state.WaitForChange(before));
    }

    [Fact]
    public void TimesOutWhenNothingChanges()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("watched.json"));
        state.Read(out var generation);
        var e = Assert.Throws<LockTimeoutException>(() => state.WaitForChange(generation, TimeSpan.FromMilliseconds(50)));
        Assert.Contains("watched.json", e.Message);
        Assert.Throws<LockTimeoutException>(() => state.WaitForChange(generation, TimeSpan.Zero));
    }

    [Fact]
    public async Task CancellingTheTokenEndsTheWaitAndTheStateStaysUsable()
    {
        using var dir = new TempDir();
        var path = dir.File("watched.json");
        using var state = new JsonState(path);
        state.Read(out var generation);
        using var cts = new CancellationTokenSource();
        var waiting = state.WaitForChangeAsync(generation, cts.Token);
        await Task.Delay(50);
        cts.Cancel();
        // LockCanceledException once the wait began, the token's own exception before.
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(cts.Token, e.CancellationToken);
        state.Write(new JsonObject { ["n"] = 1 });
        Assert.Equal(generation + 1, state.WaitForChange(generation, TimeSpan.Zero));
    }
}
