namespace Filelock;

/// <summary>How hard a commit or append pushes data to disk.</summary>
public enum Durability
{
    /// <summary>fsync the file and its directory before returning.</summary>
    Full = 0,
    /// <summary>Atomic rename, no fsync: never torn, may be lost on power cut.</summary>
    Atomic = 1,
}
