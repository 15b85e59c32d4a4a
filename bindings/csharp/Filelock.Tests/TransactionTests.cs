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
}
