using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace Filelock.Tests;

/// <summary>Each option reaches the library: a wrong field layout in the managed structs
/// would show up here as an option silently ignored or misread.</summary>
public class OptionsTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void LockFileOptionsAreApplied()
    {
        using var dir = new TempDir();
        var path = dir.File("data.json");
        using (var l = FileLock.Acquire(path, TimeSpan.FromSeconds(1), LockMode.Exclusive,
                                        new LockOptions { Sidecar = false, FileMode = Convert.ToUInt32("600", 8) }))
        {
            Assert.Equal(path, l.LockPath);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
        using var sidecar = FileLock.Acquire(path, TimeSpan.FromSeconds(1), LockMode.Exclusive,
                                             new LockOptions { Sidecar = true, Backend = LockBackend.Flock });
        Assert.Equal(path + ".lock", sidecar.LockPath);
    }

    // An etcd:// name's settings on a file path: refused naming the field, not dropped.
    [Fact]
    public void EtcdSettingsOnAFilePathAreRefused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileLockException>(() => FileLock.Acquire(
            dir.File("x"), TimeSpan.FromSeconds(1), LockMode.Exclusive, new LockOptions { EtcdUser = "root" }).Dispose());
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("etcd_user", e.Message);
    }

    [Fact]
    public void StateOptionsAreApplied()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        var meta = dir.File("meta");
        var locks = Directory.CreateDirectory(dir.File("locks")).FullName;
        var options = new StateOptions
        {
            Durability = Durability.Atomic,
            MetaDirectory = meta,
            BackupBeforeWrite = false,
            AuditLog = false,
            MaxBackups = 3,
            LockTimeout = TimeSpan.FromMilliseconds(150),
            InitialDocument = new JsonObject { ["seed"] = true },
            Lock = new LockOptions { LockDirectory = locks },
            MaxLogBytes = 1 << 20,
        };
        using var state = new JsonState(path, options);
        Assert.True(state.Read()!["seed"]!.GetValue<bool>());
        state.Write(new JsonObject { ["v"] = 1 });
        state.Write(new JsonObject { ["v"] = 2 });
        Assert.Empty(state.ListBackups());
        Assert.Empty(state.History());
        Assert.True(Directory.Exists(meta));

        state.CreateBackup();
        for (var i = 0; i < 5; i++) state.CreateBackup();
        Assert.Equal(3, state.ListBackups().Count);

        // The state's lock lives in `locks`, and the wait for it is the 150 ms given.
        var lockFile = Assert.Single(Directory.GetFiles(locks));
        using var holder = FileLock.Acquire(lockFile, TimeSpan.FromSeconds(1), LockMode.Exclusive,
                                            new LockOptions { Sidecar = false });
        var watch = Stopwatch.StartNew();
        Assert.Throws<LockTimeoutException>(() => state.Write(new JsonObject()));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void ValidateOnReadChecksTheDocumentOnDisk()
    {
        using var dir = new TempDir();
        var path = dir.File("pipeline.json");
        File.WriteAllText(path, "{\"count\": \"three\"}");
        var schema = JsonNode.Parse("""{"type":"object","properties":{"count":{"type":"integer"}}}""");
        using (var lenient = new JsonState(path, new StateOptions { Schema = schema }))
            Assert.Equal("three", lenient.Read()!["count"]!.GetValue<string>());
        using var strict = new JsonState(path, new StateOptions { Schema = schema, ValidateOnRead = true });
        var e = Assert.Throws<StateValidationException>(() => strict.Read());
        Assert.Contains("count", e.Message);
    }
}
