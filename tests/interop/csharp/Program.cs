// Interop worker in C#: the same protocol as worker.c (see there).
using System.Text.Json.Nodes;
using Filelock;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: worker PATH ID N | worker PATH read");
    return 2;
}
var (path, role) = (args[0], args[1]);
var journal = Environment.GetEnvironmentVariable("FILELOCK_WORKER_JOURNAL");
using var state = new JsonState(path, journal is null ? null : new StateOptions { JournalMaxBytes = long.Parse(journal) });
if (role == "read")
{
    Console.WriteLine(state.Read()?["count"]?.GetValue<long>() ?? 0);
    return 0;
}
var n = int.Parse(args[2]);
for (var i = 1; i <= n; i++)
{
    using (var txn = state.BeginTransaction())
    {
        var doc = txn.Data as JsonObject ?? new JsonObject();
        doc["count"] = (doc["count"]?.GetValue<long>() ?? 0) + 1;
        var workers = doc["workers"] as JsonObject;
        if (workers is null) doc["workers"] = workers = new JsonObject();
        workers[role] = (workers[role]?.GetValue<long>() ?? 0) + 1;
        txn.Data = doc;
        txn.Commit();
    }
    Console.WriteLine($"ack {i}");
    Console.Out.Flush();
}
return 0;
