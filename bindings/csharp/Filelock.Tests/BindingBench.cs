using System.Text.Json.Nodes;
using Filelock.Native;

namespace Filelock.Tests;

/// <summary>
/// The binding measured as filelock-bench measures the C API (bench/run.sh), beside the
/// same work through the native (SWIG) calls directly, in the same directory and in
/// alternating rounds, so disk and fsync variance falls on both alike. Prints
/// "binding.cs_lock_us" (Lock+Release on an open FileLock) and "binding.cs_txn_1k_us"
/// (one Update incrementing a counter in a ~1 KiB document, FULL, backups and log on;
/// "binding.cs_txn_1k_atomic_us" the same without fsync),
/// each with its "_native_us" twin and "_overhead_us" (the median of the rounds'
/// differences). Figures are medians of the rounds' means.
/// </summary>
internal static class BindingBench
{
    public static int Run(string dir, bool quick)
    {
        using (var l = FileLock.Open(System.IO.Path.Combine(dir, "cs_binding.json")))
        using (var native = OpenLock(System.IO.Path.Combine(dir, "cs_native.json")))
        {
            void Api()
            {
                l.Lock(LockMode.Exclusive, Timeout.InfiniteTimeSpan);
                l.Release();
            }
            void Native()
            {
                FilelockNative.fl_lock(native, (int)LockMode.Exclusive, Timeouts.Forever);
                FilelockNative.fl_unlock(native);
            }
            Emit("binding.cs_lock", Paired(Api, Native, quick ? 3 : 41, quick ? 100 : 1000, WarmUp(quick)));
        }
        var doc = Doc1K();
        Emit("binding.cs_txn_1k", Transactions(dir, "", new StateOptions { InitialDocument = doc }, quick ? 3 : 301, quick));
        // Without fsync: the binding's CPU cost per transaction, which fsync's variance hides.
        Emit("binding.cs_txn_1k_atomic", Transactions(dir, "_atomic",
             new StateOptions { InitialDocument = doc, Durability = Durability.Atomic }, quick ? 3 : 1001, quick));
        return 0;
    }

    static TimeSpan WarmUp(bool quick) => quick ? TimeSpan.Zero : TimeSpan.FromSeconds(1.5);

    static (double, double, double) Transactions(string dir, string tag, StateOptions options, int rounds, bool quick)
    {
        using var state = new JsonState(System.IO.Path.Combine(dir, $"cs_binding_txn{tag}.json"), options);
        using var nativeState = OpenState(System.IO.Path.Combine(dir, $"cs_native_txn{tag}.json"), options);
        void Api() => state.Update(d => d!["counter"] = d["counter"]!.GetValue<long>() + 1);
        void Native()
        {
            // state.fl_full_1k_us's sequence: begin, get "/counter", set it one higher, commit.
            FilelockNative.fl_txn_begin(nativeState, out var txn);
            FilelockNative.fl_txn_get(txn, "/counter", out var value);
            FilelockNative.fl_txn_set(txn, "/counter", (long.Parse(value) + 1).ToString());
            FilelockNative.fl_txn_commit(txn);
            txn.MarkConsumed();
        }
        return Paired(Api, Native, rounds, 1, WarmUp(quick));
    }

    /// <summary>The document bench/state_suite.cpp commits: a counter and small records.</summary>
    static JsonObject Doc1K()
    {
        var items = new JsonArray();
        var doc = new JsonObject { ["counter"] = 0, ["items"] = items };
        for (var i = 0; doc.ToJsonString().Length + 70 < 1024; i++)
            items.Add(new JsonObject { ["id"] = i, ["name"] = $"item-{i:D6}", ["status"] = "success", ["ms"] = 42.5 });
        return doc;
    }

    static FileLockHandle OpenLock(string path)
    {
        using var native = new NativeOptions();
        var opts = native.Lock(null);
        FilelockNative.fl_open(out var handle, path, ref opts);
        return handle;
    }

    static StateHandle OpenState(string path, StateOptions options)
    {
        using var native = new NativeOptions();
        var opts = native.State(options);
        FilelockNative.fl_state_open(out var handle, path, ref opts);
        return handle;
    }

    static void Emit(string name, (double Api, double Native, double Overhead) f)
    {
        Console.WriteLine($"{name}_us {f.Api:F3}");
        Console.WriteLine($"{name}_native_us {f.Native:F3}");
        Console.WriteLine($"{name}_overhead_us {f.Overhead:F3}");
    }

    /// <summary>Rounds of <paramref name="n"/> calls of each, which goes first alternating;
    /// the medians of the rounds' means and of their differences, in µs.</summary>
    static (double, double, double) Paired(Action api, Action native, int rounds, int n, TimeSpan warmUp)
    {
        // .NET runs a method's first calls unoptimised and compiles it again, optimised,
        // once it has been called 30 times and no new method has been compiled for 100 ms,
        // on a background thread. A few warm-up calls would measure that first code (the
        // binding's longer path more than its native twin's): run both for a while first.
        var warm = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Math.Max(n, 20) || warm.Elapsed < warmUp; i++)
        {
            api();
            native();
        }
        var a = new List<double>();
        var b = new List<double>();
        var d = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            double ta, tb;
            if (r % 2 == 0)
            {
                ta = Mean(api, n);
                tb = Mean(native, n);
            }
            else
            {
                tb = Mean(native, n);
                ta = Mean(api, n);
            }
            a.Add(ta);
            b.Add(tb);
            d.Add(ta - tb);
        }
        return (Median(a), Median(b), Median(d));
    }

    static double Mean(Action op, int n)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++) op();
        return System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds * 1000 / n;
    }

    static double Median(List<double> v)
    {
        v.Sort();
        return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2;
    }
}
