namespace Filelock;

/// <summary>The loaded native library.</summary>
public static class Library
{
    /// <summary>The version of filelock.h this binding was generated from, as
    /// MAJOR*10000 + MINOR*100 + PATCH.</summary>
    public static int BindingVersionNumber => FilelockNative.FILELOCK_VERSION_NUMBER;

    /// <summary>The loaded libfilelock's version, e.g. "1.4.0".</summary>
    public static string Version => FilelockNative.fl_version();

    /// <summary>The loaded libfilelock's version as MAJOR*10000 + MINOR*100 + PATCH.</summary>
    public static int VersionNumber => FilelockNative.fl_version_number();

    /// <summary>Throws <see cref="FileLockException"/> (<see cref="ErrorCode.Unsupported"/>) if the
    /// loaded library is older than this binding or of another major version.</summary>
    public static void CheckVersion() => FilelockNative.fl_check_version(FilelockNative.FILELOCK_VERSION_NUMBER);

    /// <summary>The library's short text for a status code.</summary>
    public static string Describe(ErrorCode code) => FilelockNative.fl_strerror((int)code);
}
