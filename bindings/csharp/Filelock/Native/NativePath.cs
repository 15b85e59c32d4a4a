namespace Filelock.Native;

/// <summary>Checks a path before it becomes a C string: the library would read
/// "a\0b" as "a" and act on a different file, so an embedded NUL is refused as
/// <see cref="System.IO.Path.GetFullPath(string)"/> refuses it.</summary>
internal static class NativePath
{
    public static string Check(string? path, string paramName)
    {
        ArgumentNullException.ThrowIfNull(path, paramName);
        if (path.Contains('\0'))
            throw new ArgumentException($"the path contains a NUL character: \"{path.Replace("\0", "\\0")}\"",
                                        paramName);
        return path;
    }
}
