// Uses every part of the package once; prints "ok" and exits 0 only if all of it works.
using System.Text.Json.Nodes;
using Filelock;

var dir = Directory.CreateTempSubdirectory("filelock-consumer-").FullName;
try
{
    Library.CheckVersion();
    var path = Path.Combine(dir, "pipeline.json");

    using (var l = FileLock.Acquire(path, TimeSpan.FromSeconds(5), LockMode.Shared))
    {
        if (FileLock.TryAcquire(path, LockMode.Exclusive) is not null) throw new Exception("exclusive lock granted beside a shared one");
    }

    using (var state = new JsonState(path))
    {
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["phase1"] = new JsonObject { ["status"] = "success" };
            txn.Commit();
        }
        if (state.Read()!["phase1"]!["status"]!.GetValue<string>() != "success") throw new Exception("commit lost");
    }

    JsonLines.Append(Path.Combine(dir, "journal.jsonl"), new JsonObject { ["event"] = "done" });

    try
    {
        using var holder = FileLock.Acquire(path);
        using var again = FileLock.Acquire(path, TimeSpan.FromMilliseconds(50));
        throw new Exception("second exclusive lock granted");
    }
    catch (TimeoutException e) when (e is IFileLockException { Code: ErrorCode.Timeout })
    {
    }

    Console.WriteLine($"ok {Library.Version}");
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}
