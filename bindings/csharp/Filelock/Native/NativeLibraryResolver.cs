using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Filelock.Native;

/// <summary>
/// Finds libfilelock and the SWIG glue without LD_LIBRARY_PATH: beside the assembly, in
/// runtimes/&lt;rid&gt;/native/ below it (the NuGet layout), then the system's library
/// (libfilelock.so.1 on Linux, libfilelock.1.dylib on macOS, filelock.dll on Windows).
/// </summary>
internal static class NativeLibraryResolver
{
    internal const string CoreName = "filelock";
    internal const string GlueName = "filelock_csharp_native";

    /// <summary>The file names and NuGet runtime folder of one platform.</summary>
    internal sealed record Names(string CoreFile, string GlueFile, string RuntimeIdentifier);

    internal static Names NamesFor(OSPlatform os, Architecture arch)
    {
        var cpu = arch == Architecture.Arm64 ? "arm64" : "x64";
        if (os == OSPlatform.OSX)
            return new("libfilelock.1.dylib", "libfilelock_csharp_native.dylib", "osx-" + cpu);
        if (os == OSPlatform.Windows)
            return new("filelock.dll", "filelock_csharp_native.dll", "win-" + cpu);
        return new("libfilelock.so.1", "libfilelock_csharp_native.so", "linux-" + cpu);
    }

    static readonly Names Here = NamesFor(
        RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? OSPlatform.OSX
        : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? OSPlatform.Windows
        : OSPlatform.Linux,
        RuntimeInformation.ProcessArchitecture);

    static readonly object Gate = new();
    static IntPtr core;
    static IntPtr glue;

    // A library's module initializer is the one place guaranteed to run before the first
    // P/Invoke of this assembly, which is when the resolver must be in place.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);

    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == CoreName) return LoadCore();
        if (name == GlueName) return LoadGlue();
        return IntPtr.Zero;
    }

    internal static IntPtr LoadCore()
    {
        lock (Gate)
        {
            if (core == IntPtr.Zero) core = LoadFirst(Here.CoreFile, systemFallback: true);
            return core;
        }
    }

    static IntPtr LoadGlue()
    {
        lock (Gate)
        {
            if (glue != IntPtr.Zero) return glue;
            // The glue needs libfilelock; loading ours first means the dynamic linker finds
            // it by soname instead of searching the system paths.
            LoadCore();
            glue = LoadFirst(Here.GlueFile, systemFallback: true);
            return glue;
        }
    }

    static IntPtr LoadFirst(string file, bool systemFallback)
    {
        foreach (var dir in SearchDirectories())
        {
            var candidate = Path.Combine(dir, file);
            if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var handle)) return handle;
        }
        if (systemFallback && NativeLibrary.TryLoad(file, out var system)) return system;
        return IntPtr.Zero;
    }

    static IEnumerable<string> SearchDirectories()
    {
        var dirs = new List<string>();
        var location = typeof(NativeLibraryResolver).Assembly.Location;
        if (!string.IsNullOrEmpty(location)) dirs.Add(Path.GetDirectoryName(location)!);
        dirs.Add(AppContext.BaseDirectory);
        foreach (var dir in dirs.Distinct())
        {
            yield return dir;
            yield return Path.Combine(dir, "runtimes", Here.RuntimeIdentifier, "native");
        }
    }
}
