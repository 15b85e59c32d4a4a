#!/usr/bin/env bash
# Restores the Filelock NuGet package from a local folder into a fresh project outside
# the source tree, builds it and runs it without LD_LIBRARY_PATH: the native libraries
# must come from the package's runtimes/linux-x64/native/.
# usage: run.sh PACKAGE_DIR WORK_DIR
set -euo pipefail
packages=$(realpath "$1")
work=$2
src=$(dirname "$(realpath "$0")")

nupkg="$packages/Filelock.1.4.0.nupkg"
entries=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$nupkg")
for lib in libfilelock.so.1 libfilelock_csharp_native.so; do
  if ! grep -qx "runtimes/linux-x64/native/$lib" <<<"$entries"; then
    echo "FAIL: $nupkg lacks runtimes/linux-x64/native/$lib" >&2
    exit 1
  fi
done

rm -rf "$work"
mkdir -p "$work/app"
cp "$src/Consumer.csproj" "$src/Program.cs" "$work/app/"
# Stops MSBuild from picking up any Directory.Build.props above the work directory.
echo '<Project />' > "$work/app/Directory.Build.props"
cat > "$work/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="filelock" value="$packages" />
  </packageSources>
</configuration>
XML

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
unset LD_LIBRARY_PATH
# A private package cache, so a rebuilt package is never shadowed by an older copy.
dotnet restore "$work/app/Consumer.csproj" --configfile "$work/nuget.config" \
  --packages "$work/packages" --disable-build-servers
dotnet build "$work/app/Consumer.csproj" --no-restore -c Release -o "$work/out" \
  --disable-build-servers -nodeReuse:false
out=$(dotnet "$work/out/Consumer.dll")
echo "$out"
[ "$out" = "ok 1.4.0" ]
