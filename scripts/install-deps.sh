#!/usr/bin/env bash
# Installs the Debian packages filelock needs to build, test and benchmark.
# Idempotent: asks apt only for what is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config dpkg-dev file
  libcjson-dev libgtest-dev libgmock-dev libbenchmark-dev
  swig python3-dev python3-pytest python3-setuptools python3-wheel python3-pip python3-pydantic
  golang-go
  abigail-tools
  libsqlite3-dev python3-filelock python3-portalocker python3-fasteners
  golang-github-gofrs-flock-dev
  g++-mingw-w64-x86-64 wine wine64 googletest llvm
  clang libclang-rt-14-dev
  lintian
  etcd-server etcd-client libcurl4-openssl-dev
)

missing=()
for p in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == "install ok installed" ]] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
command -v dotnet >/dev/null || echo "install-deps: note: the .NET SDK is not installed; the C# binding will be skipped"
