using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

public class StateTests
{
    [Fact]
    public void ANewStateStartsFromTheInitialDocument()
    {
        using var dir = new TempDir();
        using (var empty = new JsonState(dir.File("a.json")))
            Assert.Equal("{}", empty.Read()!.ToJsonString());
        var initial = new JsonObject { ["phase1"] = new JsonObject { ["status"] = "pending" } };
        using var seeded = new JsonState(dir.File("b.json"), new StateOptions { InitialDocument = initial });
        Assert.Equal("pending", seeded.Read()!["phase1"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void JsonNodesRoundTripExactly()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("state.json"));
        var doc = new JsonObject
        {
            ["text"] = "naïve ✓ \"quoted\" \n",
            ["big"] = 9007199254740993,
            ["max"] = ulong.MaxValue,
            ["pi"] = 3.25,
            ["flag"] = true,
            ["none"] = null,
            ["list"] = new JsonArray(1, "two", new JsonObject { ["three"] = 3 }),
        };
        state.Write(doc);
        var back = state.Read()!;
        Assert.True(JsonNode.DeepEquals(doc, back), back.ToJsonString());
        Assert.Equal(9007199254740993, back["big"]!.GetValue<long>());
        Assert.Equal(ulong.MaxValue, back["max"]!.GetValue<ulong>());
    }

    [Fact]
    public void ACommittedTransactionIsWrittenAndBumpsTheGeneration()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path);
        state.Read(out var before);
        using (var txn = state.BeginTransaction())
        {
            Assert.Equal(before, txn.Generation);
            Assert.Same(state, txn.State);
            txn.Data!["phase1"] = new JsonObject { ["status"] = "success", ["metrics"] = new JsonObject { ["duration"] = 42.0 } };
            txn.Commit();
            Assert.True(txn.IsCommitted);
        }
        var doc = state.Read(out var after);
        Assert.Equal(before + 1, after);
        Assert.Equal(42.0, doc!["phase1"]!["metrics"]!["duration"]!.GetValue<double>());
        Assert.Equal("success", JsonNode.Parse(File.ReadAllText(path))!["phase1"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void JournalCommitsAppendAndEveryHandleReadsThem()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path, new StateOptions { JournalMaxBytes = 1 << 20 });
        state.Write(new JsonObject { ["phase1"] = new JsonObject { ["status"] = "pending" } });
        var onDisk = File.ReadAllText(path);
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["phase1"]!["status"] = "success";
            txn.Commit();
        }
        // The commit went to the journal: the file is as the write left it.
        Assert.Equal(onDisk, File.ReadAllText(path));
        Assert.True(new FileInfo(Path.Combine(Path.GetDirectoryName(path)!, ".pipeline.json.filelock", "journal")).Length > 0);
        Assert.Equal("success", state.Read()!["phase1"]!["status"]!.GetValue<string>());
        using var other = new JsonState(path);
        Assert.Equal("success", other.Read()!["phase1"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void GetReadsOneValueWithItsGeneration()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path, new StateOptions { JournalMaxBytes = 1 << 20 });
        state.Write(new JsonObject { ["phases"] = new JsonObject { ["a/b"] = new JsonArray(1, "done") } });
        using var reader = new JsonState(path);
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["phases"]!["a/b"]![1] = "again";
            txn.Commit();
        }
        Assert.Equal("again", reader.Get("/phases/a~1b/1", out var generation)!.GetValue<string>());
        Assert.Equal(state.Generation, generation);
        Assert.Equal(2, reader.Get("/phases/a~1b")!.AsArray().Count);
        var e = Assert.ThrowsAny<FileLockException>(() => reader.Get("/phases/missing"));
        Assert.Equal(ErrorCode.NotFound, e.Code);
        Assert.Contains("state get", e.Message);
        Assert.Contains("/phases/missing", e.Message);
    }

    [Fact]
    public void DisposingWithoutCommitRollsBack()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Write(new JsonObject { ["status"] = "pending" });
        var generation = state.Generation;
        using (var txn = state.BeginTransaction())
            txn.Data!["status"] = "running";
        Assert.Equal("pending", state.Read()!["status"]!.GetValue<string>());
        Assert.Equal(generation, state.Generation);

        void FailingPhase()
        {
            using var txn = state.BeginTransaction();
            txn.Data!["status"] = "running";
            throw new InvalidDataException("phase failed");
        }
        Assert.Throws<InvalidDataException>(FailingPhase);
        Assert.Equal("pending", state.Read()!["status"]!.GetValue<string>());
    }

    [Fact]
    public void ATransactionHoldsTheStatesLockUntilItEnds()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path);
        using var other = new JsonState(path, new StateOptions { LockTimeout = TimeSpan.FromMilliseconds(100) });
        using (var txn = state.BeginTransaction())
        {
            var e = Assert.Throws<LockTimeoutException>(() => other.Write(new JsonObject()));
            Assert.Contains(path, e.Message);
            Assert.Throws<InvalidOperationException>(() => { txn.Commit(); txn.Commit(); });
        }
        other.Write(new JsonObject { ["done"] = true });
    }

    [Fact]
    public void UpdateEditsInPlaceAndTransformReplaces()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Update(doc => doc!["count"] = 1);
        state.Transform(doc => new JsonObject { ["count"] = doc!["count"]!.GetValue<int>() + 1 });
        Assert.Equal(2, state.Read()!["count"]!.GetValue<int>());
        Assert.Throws<InvalidOperationException>(() => state.Update(doc =>
        {
            doc!["count"] = 100;
            throw new InvalidOperationException("no");
        }));
        Assert.Equal(2, state.Read()!["count"]!.GetValue<int>());
    }

    [Fact]
    public void WriteIfConflictsWhenTheGenerationMoved()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Read(out var generation);
        state.WriteIf(new JsonObject { ["v"] = 1 }, generation);
        var e = Assert.Throws<StateConflictException>(() => state.WriteIf(new JsonObject { ["v"] = 2 }, generation));
        Assert.Equal(ErrorCode.Conflict, e.Code);
        Assert.False(string.IsNullOrEmpty(e.Message));
        Assert.Equal(1, state.Read()!["v"]!.GetValue<int>());
    }

    [Fact]
    public void BackupsCanBeListedAndRestored()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Write(new JsonObject { ["v"] = 1 });
        var id = state.CreateBackup();
        state.Write(new JsonObject { ["v"] = 2 });
        var backups = state.ListBackups();
        Assert.Contains(backups, b => b.Id == id);
        Assert.Single(state.ListBackups(limit: 1));
        var manual = backups.Single(b => b.Id == id);
        state.Restore(manual);
        Assert.Equal(1, state.Read()!["v"]!.GetValue<int>());
        var e = Assert.Throws<FileLockException>(() => state.Restore("no-such-backup"));
        Assert.Equal(ErrorCode.NotFound, e.Code);
        Assert.Contains("no-such-backup", e.Message);
    }

    [Fact]
    public void MaxBackupsBoundsTheBackupsKept()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"), new StateOptions { MaxBackups = 2 });
        for (var i = 0; i < 5; i++) state.Write(new JsonObject { ["v"] = i });
        Assert.Equal(2, state.ListBackups().Count);
    }

    [Fact]
    public void HistoryRecordsCommitsNewestFirst()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Write(new JsonObject { ["v"] = 1 });
        state.Write(new JsonObject { ["v"] = 2 });
        var all = state.History();
        Assert.True(all.Count >= 2);
        Assert.Single(state.History(limit: 1));
        Assert.True(all[0]!["generation"]!.GetValue<ulong>() > all[1]!["generation"]!.GetValue<ulong>());
    }

    [Fact]
    public void VerifyReportsAHealthyState()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Write(new JsonObject { ["v"] = 1 });
        var report = state.Verify();
        Assert.True(report["ok"]!.GetValue<bool>(), report.ToJsonString());
        Assert.Empty(report["problems"]!.AsArray());
    }

    [Fact]
    public void SchemaViolationsAreRefusedAndChangeNothing()
    {
        using var dir = new TempDir();
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"phase1":{"type":"object"}}}
            """);
        using var state = new JsonState(dir.File("pipeline.json"), new StateOptions { Schema = schema });
        state.Write(new JsonObject { ["phase1"] = new JsonObject { ["status"] = "ok" } });
        var e = Assert.Throws<StateValidationException>(() => state.Update(doc => doc!["phase1"] = "not a dict"));
        Assert.Equal(ErrorCode.Validation, e.Code);
        Assert.Contains(dir.File("pipeline.json"), e.Message);
        Assert.Contains("phase1", e.Message);
        Assert.Equal("ok", state.Read()!["phase1"]!["status"]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*", SearchOption.AllDirectories));
    }

    [Fact]
    public void ACorruptFileIsReportedNotOverwritten()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        File.WriteAllText(path, "{\"v\": 1,");
        using var state = new JsonState(path);
        var e = Assert.Throws<StateCorruptException>(() => state.Read());
        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains(path, e.Message);
        Assert.Equal("{\"v\": 1,", File.ReadAllText(path));
    }

    [Fact]
    public void ATransactionKeepsItsStateOpenAfterTheStateIsDisposed()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        var state = new JsonState(path);
        using var txn = state.BeginTransaction();
        state.Dispose();
        txn.Data!["v"] = 7;
        txn.Commit();
        using var check = new JsonState(path);
        Assert.Equal(7, check.Read()!["v"]!.GetValue<int>());
    }

    [Fact]
    public void AForgottenTransactionIsRolledBackByTheFinalizer()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path, new StateOptions { LockTimeout = TimeSpan.FromSeconds(2) });
        BeginAndDrop(path);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        state.Write(new JsonObject { ["v"] = 1 });
        Assert.Equal(1, state.Read()!["v"]!.GetValue<int>());
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static void BeginAndDrop(string path)
    {
        var txn = new JsonState(path).BeginTransaction();
        txn.Data!["v"] = 99;
    }

    [Fact]
    public void ThreadsEachWithTheirOwnStateNeverLoseAnUpdate()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        const int threads = 4, perThread = 25;
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            using var state = new JsonState(path, new StateOptions { Durability = Durability.Atomic });
            for (var i = 0; i < perThread; i++)
                state.Update(doc => doc!["count"] = (doc["count"]?.GetValue<long>() ?? 0) + 1);
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        using var check = new JsonState(path);
        Assert.Equal(threads * perThread, check.Read()!["count"]!.GetValue<long>());
    }

    [Fact]
    public void JsonLinesAppendsOneLinePerValue()
    {
        using var dir = new TempDir();
        var path = dir.File("journal.jsonl");
        JsonLines.Append(path, new JsonObject { ["event"] = "start" });
        JsonLines.Append(path, new JsonArray(1, 2), Durability.Atomic);
        JsonLines.Append(path, null);
        Assert.Equal(new[] { "{\"event\":\"start\"}", "[1,2]", "null" }, File.ReadAllLines(path));
    }

    [Fact]
    public void JsonLinesFailureNamesThePath()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "missing", "journal.jsonl");
        var e = Assert.Throws<FileLockNotFoundException>(() => JsonLines.Append(path, new JsonObject()));
        Assert.Contains(path, e.Message);
    }
}
