using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Filelock.Native;

/// <summary>
/// A transaction's whole document in and out as UTF-8, straight from libfilelock. The
/// SWIG string path would turn the library's UTF-8 into a .NET string through a callback
/// and back, then parse that string (which System.Text.Json turns into UTF-8 again); on
/// the way in, a string the marshaller turns into UTF-8 again. Every transaction moves
/// the whole document both ways, so these two calls skip the detours: the bytes parsed
/// and the bytes written are the same as through strings.
/// </summary>
internal static unsafe class TxnDocument
{
    static readonly byte[] WholeDocument = { 0 }; // the JSON pointer "" as a C string

    // A buffer per thread, dropped after a large document so it does not pin memory.
    const int KeptBufferBytes = 64 * 1024;
    [ThreadStatic] static ArrayBufferWriter<byte>? buffer;
    [ThreadStatic] static Utf8JsonWriter? writer;

    /// <summary>The document (a JSON null is a null node).</summary>
    internal static JsonNode? Get(TxnHandle txn)
    {
        Check(fl_txn_get(txn, WholeDocument, out var text));
        try
        {
            return JsonNode.Parse(MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)text));
        }
        finally
        {
            fl_free(text);
        }
    }

    /// <summary>Replaces the document with <paramref name="document"/>, written as
    /// <see cref="JsonNode.ToJsonString"/> writes it.</summary>
    internal static void Set(TxnHandle txn, JsonNode? document)
    {
        // Taken from the thread while in use: a converter WriteTo runs may commit too.
        var output = buffer ?? new ArrayBufferWriter<byte>(4096);
        var json = writer ?? new Utf8JsonWriter(output); // default options, as ToJsonString
        buffer = null;
        writer = null;
        try
        {
            if (document is null) json.WriteNullValue();
            else document.WriteTo(json);
            json.Flush();
            output.GetSpan(1)[0] = 0; // the C string's terminator (JSON text holds no NUL byte)
            output.Advance(1);
            fixed (byte* text = output.WrittenSpan)
                Check(fl_txn_set(txn, WholeDocument, text));
        }
        finally
        {
            if (output.Capacity <= KeptBufferBytes)
            {
                json.Reset();
                output.ResetWrittenCount();
                buffer = output;
                writer = json;
            }
        }
    }

    // As the SWIG glue's status typemap: a failure's message, OS error and path are read
    // right after the failing call, on the same thread.
    static void Check(int status)
    {
        if (status >= 0) return;
        throw FileLockException.FromStatus(status, Marshal.PtrToStringUTF8(fl_last_error()) ?? "",
                                           fl_last_os_error(), Marshal.PtrToStringUTF8(fl_last_error_path()));
    }

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern int fl_txn_get(TxnHandle t, byte[] pointer, out IntPtr json);

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern int fl_txn_set(TxnHandle t, byte[] pointer, byte* json);

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern void fl_free(IntPtr p);

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern IntPtr fl_last_error();

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern int fl_last_os_error();

    [DllImport(NativeLibraryResolver.CoreName)]
    static extern IntPtr fl_last_error_path();
}
