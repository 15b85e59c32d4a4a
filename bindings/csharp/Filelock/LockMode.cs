namespace Filelock;

/// <summary>How a lock is held.</summary>
public enum LockMode
{
    /// <summary>One holder at a time (writers).</summary>
    Exclusive = 1,
    /// <summary>Any number of shared holders, no exclusive one (readers).</summary>
    Shared = 2,
}
