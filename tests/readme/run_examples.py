#!/usr/bin/env python3
"""Runs every example in README.md as written.

An example is a fenced block whose info string is "LANG example" (c, python, go, csharp).
Each runs in a fresh temporary directory (its current directory) and must exit 0.
Usage: run_examples.py README BUILD_DIR SOURCE_DIR [LANG...]
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```(\w+) example\s*\n(.*?)^```\s*$", re.S | re.M)


def run(cmd, cwd, env):
    out = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {out.returncode}\n{out.stdout}{out.stderr}")
    return out.stdout


def c_example(code, work, build, src, env):
    with open(os.path.join(work, "example.c"), "w") as f:
        f.write(code)
    run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-I", src, "example.c",
         "-L", os.path.join(build, "lib"), "-lfilelock", "-o", "example"], work, env)
    return run(["./example"], work, env)


def python_example(code, work, build, src, env):
    with open(os.path.join(work, "example.py"), "w") as f:
        f.write(code)
    return run(["/usr/bin/python3", "example.py"], work, env)


def go_example(code, work, build, src, env):
    with open(os.path.join(work, "main.go"), "w") as f:
        f.write(code)
    with open(os.path.join(work, "go.mod"), "w") as f:
        f.write("module example\n\ngo 1.19\n\nrequire filelock.dev/filelock v0.0.0\n\n"
                f"replace filelock.dev/filelock => {os.path.join(src, 'bindings', 'go')}\n")
    genv = dict(env, PKG_CONFIG_PATH=os.path.join(build, "bindings", "go", "pkgconfig"),
                GOCACHE=os.path.join(build, "tests", "readme", "gocache"), GOFLAGS="-mod=mod",
                GOTOOLCHAIN="local", GOPROXY="off", GOPATH=os.path.join(work, "gopath"))
    return run(["go", "run", "."], work, genv)


def csharp_example(code, work, build, src, env):
    with open(os.path.join(work, "Program.cs"), "w") as f:
        f.write(code)
    ref = os.path.join(src, "bindings", "csharp", "Filelock", "Filelock.csproj")
    with open(os.path.join(work, "Example.csproj"), "w") as f:
        f.write(f"""<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><ProjectReference Include="{ref}" /></ItemGroup>
</Project>
""")
    shutil.copy(os.path.join(src, "bindings", "csharp", "nuget.config"), work)
    # The dotnet CLI leaves empty directories in the temp folder: keep them in `work`.
    denv = dict(env, DOTNET_CLI_TELEMETRY_OPTOUT="1", DOTNET_NOLOGO="1", TMPDIR=work)
    run(["dotnet", "build", "Example.csproj", "-c", "Release", "-o", "out", "--disable-build-servers",
         "-nodeReuse:false", f"-p:FilelockBuildDir={build}"], work, denv)
    return run(["dotnet", os.path.join("out", "Example.dll")], work, denv)


RUNNERS = {"c": c_example, "python": python_example, "go": go_example, "csharp": csharp_example}


def main():
    readme, build, src = (os.path.abspath(a) for a in sys.argv[1:4])
    only = set(sys.argv[4:]) or set(RUNNERS)
    with open(readme) as f:
        examples = [(m.group(1), m.group(2)) for m in FENCE.finditer(f.read())]
    env = dict(os.environ, PYTHONPATH=os.path.join(build, "python"),
               LD_LIBRARY_PATH=os.path.join(build, "lib"))
    passed = failed = 0
    for i, (lang, code) in enumerate(examples, 1):
        if lang not in only:
            continue
        work = tempfile.mkdtemp(prefix=f"filelock-readme-{lang}-")
        try:
            out = RUNNERS[lang](code, work, build, src, env)
            print(f"ok   example {i} ({lang}): {out.strip().splitlines()[-1] if out.strip() else ''}")
            passed += 1
        except Exception as e:  # report every example, not just the first failure
            print(f"FAIL example {i} ({lang}): {e}")
            failed += 1
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if passed + failed == 0:
        print("no examples found")
        return 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
