using System.Diagnostics;

namespace Filelock.Tests;

/// <summary>A fresh directory per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("filelock-cs-").FullName;
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>This test assembly run as another process in a helper role (see Program).</summary>
public sealed class Helper : IDisposable
{
    readonly Process process;

    Helper(Process process) => this.process = process;

    public static Helper Start(params string[] args)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var info = new ProcessStartInfo(dotnet)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(Helper).Assembly.Location);
        info.ArgumentList.Add("--helper");
        foreach (var a in args) info.ArgumentList.Add(a);
        return new Helper(Process.Start(info)!);
    }

    public int Id => process.Id;

    /// <summary>The next line the helper prints; fails the test after 30 s.</summary>
    public string ReadLine()
    {
        var read = process.StandardOutput.ReadLineAsync();
        if (!read.Wait(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("helper printed nothing for 30 s");
        return read.Result ?? throw new InvalidOperationException(
            $"helper ended early: {process.StandardError.ReadToEnd()}");
    }

    /// <summary>Writes a line to the helper's stdin.</summary>
    public void Send(string line)
    {
        process.StandardInput.WriteLine(line);
        process.StandardInput.Flush();
    }

    /// <summary>Every line the helper printed that was not read yet (after it exited).</summary>
    public string[] RemainingOutput() =>
        process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Closes the helper's stdin (its signal to finish) and waits for its exit code.</summary>
    public int Finish()
    {
        process.StandardInput.Close();
        return WaitExit();
    }

    public int WaitExit()
    {
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            throw new TimeoutException("helper did not exit");
        return process.ExitCode;
    }

    /// <summary>SIGKILL: the helper gets no chance to clean up.</summary>
    public void Kill()
    {
        process.Kill();
        process.WaitForExit();
    }

    public void Dispose()
    {
        if (!process.HasExited) process.Kill();
        process.Dispose();
    }
}
