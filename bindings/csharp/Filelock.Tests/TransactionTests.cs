using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

public class TransactionTests
{
    [Fact]
    public void PointerOperationsAndDataSeeOneDocument()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        state.Write(new JsonObject { ["phase1"] = new JsonObject { ["status"] = "pending", ["tmp"] = 1 } });
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["phase1"]!["status"] = "running";
            Assert.Equal("running", txn.Get("/phase1/status")!.GetValue<string>());
            txn.Set("/phase2/files/book.pdf", new JsonObject { ["hash"] = "abc123" });
            Assert.Equal("abc123", txn.Data!["phase2"]!["files"]!["book.pdf"]!["hash"]!.GetValue<string>());
            txn.Remove("/phase1/tmp");
            txn.Merge(new JsonObject { ["phase1"] = new JsonObject { ["status"] = "success" }, ["phase2"] = null });
            Assert.Null(txn.Data!["phase2"]);
            txn.Commit();
        }
        var doc = state.Read()!;
        Assert.Equal("""{"phase1":{"status":"success"}}""", doc.ToJsonString());
    }

    [Fact]
    public void PointerErrorsNameThePointerAndKeepTheTransactionUsable()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        using var txn = state.BeginTransaction();
        txn.Data!["a"] = 1;
        var e = Assert.Throws<FileLockException>(() => txn.Remove("/missing"));
        Assert.Equal(ErrorCode.NotFound, e.Code);
        Assert.Contains("/missing", e.Message);
        Assert.Throws<FileLockException>(() => txn.Get("/missing"));
        Assert.Equal(1, txn.Data!["a"]!.GetValue<int>());
        txn.Commit();
        Assert.Equal(1, state.Read()!["a"]!.GetValue<int>());
    }

    [Fact]
    public void AFinishedTransactionRefusesFurtherUse()
    {
        using var dir = new TempDir();
        using var state = new JsonState(dir.File("pipeline.json"));
        var txn = state.BeginTransaction();
        txn.Dispose();
        Assert.Throws<InvalidOperationException>(() => txn.Set("/a", 1));
        Assert.Throws<InvalidOperationException>(() => txn.Commit());
        Assert.False(txn.IsCommitted);
    }

    // A transaction hands its document to the library as UTF-8 of its own (not through
    // strings): what it writes must be what Write writes, byte for byte.
    [Fact]
    public void ACommitWritesWhatWriteWrites()
    {
        using var dir = new TempDir();
        var doc = JsonNode.Parse("""
            {"name":"Zo\u00eb \"q\" \t \u2713 \ud83d\ude00 </script>","n":12345678901234567890,
             "f":42.5,"exp":1e400,"list":[1,null,true,"x",{}],"nested":{"a/b~c":{"":[]}}}
            """)!;
        doc["added"] = "caf\u00e9 \u0001 \\";
        using var written = new JsonState(dir.File("written.json"));
        written.Write(doc.DeepClone());
        using var committed = new JsonState(dir.File("committed.json"));
        using (var txn = committed.BeginTransaction())
        {
            txn.Data = doc.DeepClone();
            txn.Commit();
        }
        var bytes = File.ReadAllBytes(dir.File("written.json"));
        Assert.Equal(bytes, File.ReadAllBytes(dir.File("committed.json")));
        // Read back and committed again: nothing changes, so nothing is written.
        var generation = committed.Generation;
        committed.Update(d => d!["n"] = d["n"]!.DeepClone());
        Assert.Equal(generation, committed.Generation);
        Assert.Equal(bytes, File.ReadAllBytes(dir.File("committed.json")));
        // The commit hands over the whole document, and the log says so.
        Assert.Equal("""[""]""", committed.History(1)[0]!["changed"]!.ToJsonString());
        using (var txn = committed.BeginTransaction())
            Assert.Equal(doc.ToJsonString(), txn.Data!.ToJsonString());
    }

    [Fact]
    public void ADocumentTheLibraryRefusesFailsTheCommitWithItsMessage()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        using var state = new JsonState(path);
        var txn = state.BeginTransaction();
        txn.Data!["text"] = "a\0b"; // JSON can carry it, the library's C strings cannot
        var e = Assert.Throws<FileLockException>(() => txn.Commit());
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains(path, e.Message);
        Assert.False(txn.IsCommitted);
        Assert.Throws<InvalidOperationException>(() => txn.Commit());
        Assert.Equal("{}", state.Read()!.ToJsonString());
    }
}
