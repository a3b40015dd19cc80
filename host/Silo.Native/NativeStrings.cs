using System.Runtime.InteropServices;

namespace Silo.Native;

/// <summary>
/// A block of NUL-terminated UTF-8 strings for C, with NULL-terminated pointer arrays over any
/// slice of them (as <c>argv</c> and <c>envp</c> want). Freed on dispose.
/// </summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly nint[] _strings;
    private readonly List<nint> _arrays = [];

    public NativeStrings(IReadOnlyList<string> values)
    {
        _strings = new nint[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            _strings[i] = Marshal.StringToCoTaskMemUTF8(values[i]);
        }
    }

    public byte* this[int index] => (byte*)_strings[index];

    /// <summary>A NULL-terminated array of pointers to strings [start, start + count).</summary>
    public byte** Slice(int start, int count)
    {
        var array = (byte**)NativeMemory.Alloc((nuint)(count + 1), (nuint)sizeof(nint));
        for (int i = 0; i < count; i++)
        {
            array[i] = (byte*)_strings[start + i];
        }

        array[count] = null;
        _arrays.Add((nint)array);
        return array;
    }

    public void Dispose()
    {
        foreach (nint s in _strings)
        {
            Marshal.FreeCoTaskMem(s);
        }

        foreach (nint a in _arrays)
        {
            NativeMemory.Free((void*)a);
        }
    }
}
