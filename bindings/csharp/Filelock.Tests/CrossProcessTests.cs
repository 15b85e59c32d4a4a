using System.Diagnostics;
using Xunit;

namespace Filelock.Tests;

/// <summary>Locks and state shared with other processes: the test assembly run as a helper.</summary>
public class CrossProcessTests
{
    [Fact]
    public void AnotherProcessHoldingTheLockExcludesUsUntilItReleases()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = Helper.Start("hold", path, "Exclusive");
        Assert.Equal("locked", holder.ReadLine());
        Assert.Null(FileLock.TryAcquire(path, LockMode.Shared));
        var info = FileLock.Query(path);
        Assert.Equal(holder.Id, info["holder"]!["pid"]!.GetValue<int>());
        Assert.Equal(0, holder.Finish());
        using var l = FileLock.TryAcquire(path);
        Assert.NotNull(l);
    }

    [Fact]
    public void WeExcludeAnotherProcessAndSharedHoldersShare()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using (FileLock.Acquire(path, LockMode.Shared))
        {
            using var shared = Helper.Start("try", path, "Shared");
            Assert.Equal("acquired", shared.ReadLine());
            using var exclusive = Helper.Start("try", path, "Exclusive");
            Assert.Equal("busy", exclusive.ReadLine());
        }
        using var after = Helper.Start("try", path, "Exclusive");
        Assert.Equal("acquired", after.ReadLine());
    }

    [Fact]
    public void AKilledHoldersLockIsFreeAtOnce()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = Helper.Start("hold", path, "Exclusive");
        Assert.Equal("locked", holder.ReadLine());
        holder.Kill();
        using var l = FileLock.Acquire(path, TimeSpan.FromSeconds(2));
        Assert.True(l.IsLocked);
    }

    [Fact]
    public async Task AWaiterWakesAsSoonAsTheOtherProcessReleases()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using var holder = Helper.Start("hold", path, "Exclusive");
        Assert.Equal("locked", holder.ReadLine());
        var waiter = Task.Run(() =>
        {
            using var l = FileLock.Acquire(path, TimeSpan.FromSeconds(30));
            return Stopwatch.GetTimestamp();
        });
        await Task.Delay(300);
        Assert.False(waiter.IsCompleted);
        holder.Kill();
        var released = Stopwatch.GetTimestamp();
        var acquired = await waiter.WaitAsync(TimeSpan.FromSeconds(10));
        var wake = Stopwatch.GetElapsedTime(released, acquired);
        Assert.True(wake < TimeSpan.FromMilliseconds(200), $"woke {wake.TotalMilliseconds} ms after release");
    }

    [Fact]
    public void ProcessesIncrementingOneStateNeverLoseAnAcknowledgedIncrement()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        const int perProcess = 15;
        using var a = Helper.Start("increment", path, perProcess.ToString());
        using var b = Helper.Start("increment", path, perProcess.ToString());
        using (var state = new JsonState(path))
        {
            for (var i = 0; i < 10; i++) state.Update(doc => doc!["count"] = (doc["count"]?.GetValue<long>() ?? 0) + 1);
        }
        Assert.Equal(0, a.WaitExit());
        Assert.Equal(0, b.WaitExit());
        using var check = new JsonState(path);
        Assert.Equal(2 * perProcess + 10, check.Read()!["count"]!.GetValue<long>());
    }

    [Fact]
    public void AProcessKilledInsideATransactionChangesNothingAndFreesTheLock()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using (var state = new JsonState(path)) state.Write(new System.Text.Json.Nodes.JsonObject { ["count"] = 1 });
        using var writer = Helper.Start("hold-transaction", path);
        Assert.Equal("inside", writer.ReadLine());
        writer.Kill();
        using var after = new JsonState(path, new StateOptions { LockTimeout = TimeSpan.FromSeconds(2) });
        Assert.Equal(1, after.Read()!["count"]!.GetValue<int>());
        after.Update(doc => doc!["count"] = 2);
        Assert.Equal(2, after.Read()!["count"]!.GetValue<int>());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*"));
    }

    [Fact]
    public void ConcurrentAppendersNeverInterleaveLines()
    {
        using var dir = new TempDir();
        var path = dir.File("journal.jsonl");
        const int lines = 40;
        using var a = Helper.Start("append", path, "a", lines.ToString());
        using var b = Helper.Start("append", path, "b", lines.ToString());
        Assert.Equal("done", a.ReadLine());
        Assert.Equal("done", b.ReadLine());
        var all = File.ReadAllLines(path);
        Assert.Equal(2 * lines, all.Length);
        foreach (var writer in new[] { "a", "b" })
        {
            var seqs = all.Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!)
                          .Where(n => n["writer"]!.GetValue<string>() == writer)
                          .Select(n => n["seq"]!.GetValue<int>());
            Assert.Equal(Enumerable.Range(0, lines), seqs);
        }
    }

    [Fact]
    public void AnIncrementerKilledMidwayLosesNothingItAcknowledged()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var survivor = Helper.Start("increment", path, "20");
        using var victim = Helper.Start("increment", path, "1000");
        var acknowledged = 0;
        for (; acknowledged < 10; acknowledged++) Assert.Equal("ack", victim.ReadLine());
        victim.Kill();
        acknowledged += victim.RemainingOutput().Count(line => line == "ack");
        Assert.Equal(0, survivor.WaitExit());
        using var state = new JsonState(path);
        var verify = state.Verify();
        Assert.True(verify["ok"]!.GetValue<bool>(), verify.ToJsonString());
        // The victim may have committed once more after its last "ack" reached us.
        Assert.InRange(state.Read()!["count"]!.GetValue<long>(), 20 + acknowledged, 20 + acknowledged + 1);
    }
}
