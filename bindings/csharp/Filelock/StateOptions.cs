using System.Text.Json.Nodes;

namespace Filelock;

/// <summary>Options for opening a <see cref="JsonState"/>; unset (null) properties keep the
/// library's defaults.</summary>
public sealed class StateOptions
{
    /// <summary>Default <see cref="Filelock.Durability.Full"/>.</summary>
    public Durability? Durability { get; set; }
    /// <summary>Backups kept; default 50; 0: none.</summary>
    public int? MaxBackups { get; set; }
    /// <summary>true (default): back up the outgoing document on each commit.</summary>
    public bool? BackupBeforeWrite { get; set; }
    /// <summary>true (default): one audit log line per commit, restore or failure.</summary>
    public bool? AuditLog { get; set; }
    /// <summary>true: reads check the schema too; default false.</summary>
    public bool? ValidateOnRead { get; set; }
    /// <summary>A JSON Schema every written document must satisfy.</summary>
    public JsonNode? Schema { get; set; }
    /// <summary>How long to wait for the state's lock; default 10 s.</summary>
    public TimeSpan? LockTimeout { get; set; }
    /// <summary>Where backups, log and generation live; default ".&lt;name&gt;.filelock/" beside the file.</summary>
    public string? MetaDirectory { get; set; }
    /// <summary>The document created when the file is missing; default {}.</summary>
    public JsonNode? InitialDocument { get; set; }
    /// <summary>Options for the state's lock.</summary>
    public LockOptions? Lock { get; set; }
    /// <summary>The audit log is rotated past this size; default 8 MiB.</summary>
    public long? MaxLogBytes { get; set; }
    /// <summary>Greater than 0: a transaction's commit appends its changes to a journal
    /// beside the document (the cost of the change, not of the document), rewriting the
    /// document whole once the journal would pass this many bytes; default 0 (every
    /// commit rewrites the document). Every handle reads the journal.</summary>
    public long? JournalMaxBytes { get; set; }
}
