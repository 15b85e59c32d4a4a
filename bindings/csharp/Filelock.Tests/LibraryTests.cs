using System.Runtime.InteropServices;
using Filelock.Native;
using Xunit;

namespace Filelock.Tests;

public class LibraryTests
{
    [Fact]
    public void VersionOfTheLoadedLibraryMatchesTheBinding()
    {
        Assert.Equal("1.4.0", Library.Version);
        Assert.Equal(10400, Library.VersionNumber);
        Assert.Equal(Library.VersionNumber, Library.BindingVersionNumber);
        Library.CheckVersion();
    }

    [Fact]
    public void DescribeGivesTheLibrarysTextForACode()
    {
        Assert.Equal("lock is held", Library.Describe(ErrorCode.Busy));
        Assert.Equal("timed out", Library.Describe(ErrorCode.Timeout));
    }

    [Fact]
    public void ErrorCodesMatchTheHeader()
    {
        var names = new Dictionary<string, ErrorCode>
        {
            ["FL_EINVAL"] = ErrorCode.InvalidArgument, ["FL_ENOMEM"] = ErrorCode.OutOfMemory,
            ["FL_EIO"] = ErrorCode.Io, ["FL_EPERM"] = ErrorCode.Permission,
            ["FL_ENOTFOUND"] = ErrorCode.NotFound, ["FL_EBUSY"] = ErrorCode.Busy,
            ["FL_ETIMEOUT"] = ErrorCode.Timeout, ["FL_EALREADY"] = ErrorCode.AlreadyLocked,
            ["FL_ENOTLOCKED"] = ErrorCode.NotLocked, ["FL_EDEADLK"] = ErrorCode.Deadlock,
            ["FL_ECANCELED"] = ErrorCode.Canceled, ["FL_EUNSUPPORTED"] = ErrorCode.Unsupported,
            ["FL_ECORRUPT"] = ErrorCode.Corrupt, ["FL_EVALIDATION"] = ErrorCode.Validation,
            ["FL_ECONFLICT"] = ErrorCode.Conflict, ["FL_ERANGE"] = ErrorCode.Range,
            ["FL_ENOSPC"] = ErrorCode.NoSpace,
        };
        Assert.Equal(Enum.GetValues<ErrorCode>().Length, names.Count);
        foreach (var (name, code) in names)
            Assert.Equal((int)code, (int)typeof(FilelockNative).GetField(name)!.GetValue(null)!);
        Assert.Equal((int)LockMode.Exclusive, FilelockNative.FL_EXCLUSIVE);
        Assert.Equal((int)LockMode.Shared, FilelockNative.FL_SHARED);
        Assert.Equal((int)LockBackend.LockDir, FilelockNative.FL_BACKEND_LOCKDIR);
        Assert.Equal((int)Durability.Atomic, FilelockNative.FL_DURABILITY_ATOMIC);
    }

    [Fact]
    public void ManagedOptionsStructsHaveTheLibrarysSize()
    {
        Assert.Equal(Marshal.SizeOf<LockOptionsNative>(), LibrarySize(FilelockNative.fl_lock_options_init));
        Assert.Equal(Marshal.SizeOf<StateOptionsNative>(), LibrarySize(FilelockNative.fl_state_options_init));
    }

    static int LibrarySize(Action<IntPtr> init)
    {
        var buffer = Marshal.AllocCoTaskMem(1024);
        try
        {
            init(buffer);
            return Marshal.ReadInt32(buffer);
        }
        finally
        {
            Marshal.FreeCoTaskMem(buffer);
        }
    }

    [Fact]
    public void NativeLibrariesAreLoadedFromTheNuGetLayoutBesideTheAssembly()
    {
        using var dir = new TempDir();
        // Opening loads the glue; closing calls libfilelock directly (the SafeHandle's release).
        FileLock.Open(dir.File("x")).Dispose();
        var maps = File.ReadAllText("/proc/self/maps");
        var names = NativeLibraryResolver.NamesFor(OSPlatform.Linux,
                                                   RuntimeInformation.ProcessArchitecture);
        var native = Path.Combine(Path.GetDirectoryName(typeof(FileLock).Assembly.Location)!,
                                  "runtimes", names.RuntimeIdentifier, "native");
        Assert.Contains(Path.Combine(native, names.CoreFile), maps);
        Assert.Contains(Path.Combine(native, names.GlueFile), maps);
    }
}
