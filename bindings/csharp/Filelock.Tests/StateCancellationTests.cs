using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace Filelock.Tests;

/// <summary>A cancelled token ends a state call's wait for the lock held by another
/// process, and the state stays usable.</summary>
public class StateCancellationTests
{
    // ~100 ms, plus an allowance for a loaded 2-core machine.
    static readonly TimeSpan PromptlyAfterCancel = TimeSpan.FromMilliseconds(400);

    readonly ITestOutputHelper output;

    public StateCancellationTests(ITestOutputHelper output) => this.output = output;

    public static IEnumerable<object[]> Calls() => new[]
    {
        new object[] { "ReadAsync" },
        new object[] { "WriteAsync" },
        new object[] { "BeginTransactionAsync" },
        new object[] { "UpdateAsync" },
        new object[] { "Read(token)" },
    };

    static Task Start(string call, JsonState state, CancellationToken token) => call switch
    {
        "ReadAsync" => state.ReadAsync(token),
        "WriteAsync" => state.WriteAsync(new JsonObject { ["n"] = "lost" }, token),
        "BeginTransactionAsync" => state.BeginTransactionAsync(token),
        "UpdateAsync" => state.UpdateAsync(doc => doc!["n"] = "lost", token),
        "Read(token)" => Task.Run(() => state.Read(token)),
        _ => throw new ArgumentException(call),
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task CancellingEndsTheWaitForAnotherProcessesLock(string call)
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path, new StateOptions { LockTimeout = TimeSpan.FromMinutes(1) });
        state.Write(new JsonObject { ["n"] = 1 });
        using var holder = Helper.Start("hold", path, "Exclusive"); // <path>.lock: the state's lock
        Assert.Equal("locked", holder.ReadLine());

        using var cts = new CancellationTokenSource();
        var waiting = Start(call, state, cts.Token);
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);
        var watch = Stopwatch.StartNew();
        cts.Cancel();
        var e = await Assert.ThrowsAsync<LockCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        var elapsed = watch.Elapsed;
        output.WriteLine($"{call}: wait ended {elapsed.TotalMilliseconds:F1} ms after Cancel");
        Assert.True(elapsed < PromptlyAfterCancel, $"cancel took {elapsed}");
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal(ErrorCode.Canceled, e.Code);
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain("lost", File.ReadAllText(path));

        Assert.Equal(0, holder.Finish());
        state.Update(doc => doc!["n"] = doc["n"]!.GetValue<int>() + 1);
        Assert.Equal(2, state.Read()!["n"]!.GetValue<int>());
    }

    [Fact]
    public void AnAlreadyCancelledTokenThrowsWithoutTouchingTheState()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("s.json"));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => state.Write(new JsonObject { ["a"] = 1 }, cts.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => state.BeginTransaction(cts.Token));
        state.Write(new JsonObject { ["a"] = 2 });
        Assert.Equal(2, state.Read()!["a"]!.GetValue<int>());
    }

    [Fact]
    public void ACancelLandingAfterTheWaitDoesNotSpoilLaterCalls()
    {
        using var dir = new TempDir();
        var path = dir.File("s.json");
        using var state = new JsonState(path);
        using var cts = new CancellationTokenSource();
        var before = state.Waiting(cts.Token, (StateHandle h, ref WaitOptionsNative w) =>
        {
            var status = FilelockNative.fl_state_read_with(h, out _, out _, ref w); // takes and releases the lock
            cts.Cancel(); // triggers this call's own token, after its wait
            return status;
        });
        state.Write(new JsonObject { ["a"] = 1 });
        Assert.Equal(1, state.Read()!["a"]!.GetValue<int>());
        // The same handle serves on: nothing was reopened to shed the cancel.
        var after = state.Waiting(CancellationToken.None, (StateHandle h, ref WaitOptionsNative w) =>
            FilelockNative.fl_state_read_with(h, out _, out _, ref w));
        Assert.Same(before, after);
        // A wait of that handle runs its course: a timeout, not a cancel.
        using var other = new JsonState(path);
        using var txn = other.BeginTransaction();
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var e = Assert.Throws<LockCanceledException>(() => state.Read(soon.Token));
        Assert.Equal(soon.Token, e.CancellationToken);
        Assert.Throws<LockTimeoutException>(() => state.WaitForChange(99, TimeSpan.FromMilliseconds(30)));
    }

    [Fact]
    public void NumbersADoubleCannotHoldAreWrittenBackByteForByte()
    {
        using var dir = new TempDir();
        var path = dir.File("s.json");
        const string stored = "{\"huge\":1e400,\"big\":12345678901234567890123,\"tiny\":-2.5E-400,\"close\":0.30000000000000001}";
        using (var txt = new JsonState(path))
        {
            // Stored through the C API, which keeps every number's text.
            using var txn = txt.BeginTransaction();
            txn.Data = JsonNode.Parse(stored);
            txn.Commit();
        }
        using var state = new JsonState(path);
        var doc = state.Read()!.AsObject();
        Assert.Equal("1e400", doc["huge"]!.ToJsonString());
        Assert.Equal("12345678901234567890123", doc["big"]!.ToJsonString());
        doc["touched"] = true;
        state.Write(doc);
        state.Update(d => d!["again"] = 1);
        var text = File.ReadAllText(path);
        foreach (var n in new[] { "1e400", "12345678901234567890123", "-2.5E-400", "0.30000000000000001" })
            Assert.Contains(n, text);
    }
}
