namespace Filelock.Native;

/// <summary>TimeSpan to the library's milliseconds: infinite is FL_FOREVER (-1), zero is
/// FL_NOWAIT, and a positive span never rounds down to zero (that would mean "try once").</summary>
internal static class Timeouts
{
    internal const long Forever = -1;

    internal static long ToMilliseconds(TimeSpan span)
    {
        if (span == Timeout.InfiniteTimeSpan) return Forever;
        if (span < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(span), span, "must be zero, positive or Timeout.InfiniteTimeSpan");
        return (long)Math.Ceiling(span.TotalMilliseconds);
    }
}
