// Checks the library version, takes a lock a second handle cannot get, commits a state
// transaction and reads it back, then prints where each native library was loaded from
// ("loaded FILE") and "ok VERSION".
//   SystemConsumer VERSION
using System.Text.Json.Nodes;
using Filelock;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: SystemConsumer VERSION");
    return 2;
}
var dir = Directory.CreateTempSubdirectory("filelock-system-consumer-").FullName;
try
{
    Library.CheckVersion();
    if (Library.Version != args[0]) throw new Exception($"library version {Library.Version}, want {args[0]}");

    var lockPath = Path.Combine(dir, "worker.lock");
    using (var held = FileLock.Acquire(lockPath))
    {
        if (FileLock.TryAcquire(lockPath) is not null) throw new Exception("second exclusive lock granted");
    }

    var path = Path.Combine(dir, "pipeline.json");
    using (var state = new JsonState(path))
    {
        using (var txn = state.BeginTransaction())
        {
            txn.Data!["phase1"] = new JsonObject { ["status"] = "success" };
            txn.Commit();
        }
        if (state.Read()!["phase1"]!["status"]!.GetValue<string>() != "success") throw new Exception("commit lost");
    }

    // The native libraries are mapped by now; /proc/self/maps names the files.
    var loaded = File.ReadLines("/proc/self/maps")
        .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Where(f => f.Length == 6 && Path.GetFileName(f[5]).StartsWith("libfilelock", StringComparison.Ordinal))
        .Select(f => f[5])
        .Distinct();
    foreach (var file in loaded) Console.WriteLine($"loaded {file}");
    Console.WriteLine($"ok {Library.Version}");
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}
