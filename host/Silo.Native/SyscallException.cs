using System.ComponentModel;

namespace Silo.Native;

/// <summary>
/// A system call failed. <see cref="Win32Exception.NativeErrorCode"/> carries errno, as it does for
/// .NET's own process code on Unix; the message reads <c>CALL: TEXT (ENAME)</c>, for example
/// <c>mount /proc: Operation not permitted (EPERM)</c>.
/// </summary>
public sealed class SyscallException : Win32Exception
{
    /// <summary>Creates the error for a call, named with its path or value where it has one.</summary>
    public SyscallException(string call, int errno)
        : base(errno, $"{call}: {Native.Errno.Describe(errno)}")
    {
        Call = call;
    }

    /// <summary>The call with its path or value, for example <c>mount /proc</c>.</summary>
    public string Call { get; }

    /// <summary>The errno value.</summary>
    public int Errno => NativeErrorCode;
}
