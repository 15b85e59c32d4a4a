using System.Text.Json.Nodes;

namespace Filelock.Tests;

/// <summary>
/// Entry point of the test assembly when a test starts it as another process:
/// `dotnet Filelock.Tests.dll --helper ROLE ARGS`. Each role prints progress lines the test
/// waits for, so the test knows exactly what the other process has done.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2 || args[0] != "--helper")
        {
            Console.Error.WriteLine("usage: Filelock.Tests --helper ROLE ARGS (tests run under dotnet test)");
            return 2;
        }
        var rest = args[2..];
        switch (args[1])
        {
            case "hold": return Hold(rest[0], Enum.Parse<LockMode>(rest[1]));
            case "hold-backend": return Hold(rest[0], LockMode.Exclusive, Enum.Parse<LockBackend>(rest[1]));
            case "try": return Try(rest[0], Enum.Parse<LockMode>(rest[1]));
            case "increment": return Increment(rest[0], int.Parse(rest[1]));
            case "hold-transaction": return HoldTransaction(rest[0]);
            case "append": return Append(rest[0], rest[1], int.Parse(rest[2]));
            case "refused": return Refused(rest[0]);
            case "hold-etcd": return HoldEtcd(rest[0], rest.Length > 1 ? int.Parse(rest[1]) : null);
            case "bench": return BindingBench.Run(rest[0], rest.Length > 1 && rest[1] == "--quick");
            default:
                Console.Error.WriteLine($"unknown helper role {args[1]}");
                return 2;
        }
    }

    // Takes the lock, says so, and keeps it until stdin closes (or the process is killed).
    static int Hold(string path, LockMode mode, LockBackend backend = LockBackend.Auto)
    {
        using var l = FileLock.Acquire(path, TimeSpan.FromSeconds(30), mode,
                                       new LockOptions { Backend = backend, Owner = "cs-helper" });
        Console.WriteLine("locked");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    // Takes an etcd:// lock, says "locked TOKEN", and after a line on stdin says what the
    // lock knows of its lease: its HandleLostToken, IsLost, and what Release throws.
    // ttlSeconds: the lease TTL as an option (LockOptions.EtcdTtl), else the name's.
    static int HoldEtcd(string url, int? ttlSeconds)
    {
        var options = ttlSeconds is { } ttl ? new LockOptions { EtcdTtl = TimeSpan.FromSeconds(ttl) } : null;
        using var l = FileLock.Acquire(url, TimeSpan.FromSeconds(10), LockMode.Exclusive, options);
        var lost = l.HandleLostToken;
        Console.WriteLine($"locked {l.FencingToken}");
        Console.Out.Flush();
        Console.In.ReadLine();
        // The watch polls: wait for it (bounded) rather than race it.
        lost.WaitHandle.WaitOne(TimeSpan.FromSeconds(10));
        Console.WriteLine($"lost-token {lost.IsCancellationRequested}");
        Console.WriteLine($"lost {l.IsLost}");
        try
        {
            l.Release();
            Console.WriteLine("released");
        }
        catch (FileLockException e)
        {
            Console.WriteLine($"release {e.Code}");
        }
        Console.Out.Flush();
        return 0;
    }

    static int Try(string path, LockMode mode)
    {
        using var l = FileLock.TryAcquire(path, mode);
        Console.WriteLine(l is null ? "busy" : "acquired");
        return 0;
    }

    // Increments {"count"} `times` times, one transaction each, printing each acknowledged one.
    static int Increment(string path, int times)
    {
        using var state = new JsonState(path, new StateOptions { LockTimeout = TimeSpan.FromSeconds(60) });
        for (var i = 0; i < times; i++)
        {
            state.Update(doc => doc!["count"] = (doc["count"]?.GetValue<long>() ?? 0) + 1);
            Console.WriteLine("ack");
            Console.Out.Flush();
        }
        return 0;
    }

    // Changes the document inside a transaction and never commits: the test kills it.
    static int HoldTransaction(string path)
    {
        using var state = new JsonState(path);
        var txn = state.BeginTransaction();
        txn.Data!["count"] = 999;
        Console.WriteLine("inside");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        return 0;
    }

    static int Append(string path, string writer, int lines)
    {
        for (var i = 0; i < lines; i++)
            JsonLines.Append(path, new JsonObject { ["writer"] = writer, ["seq"] = i, ["pad"] = new string('x', 512) },
                             Durability.Atomic);
        Console.WriteLine("done");
        return 0;
    }

    // Opens a lock and a state at `path` as a user the OS refuses there: run as root, this
    // process first becomes "nobody" (root is refused nothing). Prints what each raised.
    static int Refused(string path)
    {
        _ = Library.Version; // loads the native libraries while they are still readable
        if (Posix.geteuid() == 0 &&
            (Posix.setgroups(0, IntPtr.Zero) != 0 || Posix.setgid(65534) != 0 || Posix.setuid(65534) != 0))
        {
            Console.WriteLine("cannot become nobody");
            return 3;
        }
        void Report(Action open)
        {
            try
            {
                open();
                Console.WriteLine("opened");
            }
            catch (Exception e)
            {
                var f = e as FileLockAccessException;
                Console.WriteLine($"{e.GetType().Name} {e is UnauthorizedAccessException} {e is IOException} " +
                                  $"{f?.Code} {f?.OsError} {f?.Path}");
            }
        }
        Report(() => FileLock.Acquire(path, TimeSpan.Zero).Dispose());
        Report(() => new JsonState(path).Dispose());
        return 0;
    }

    internal static class Posix
    {
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern uint geteuid();
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int setgroups(nint size, IntPtr list);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int setgid(uint gid);
        [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
        internal static extern int setuid(uint uid);
    }
}
