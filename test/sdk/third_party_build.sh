#!/usr/bin/env bash
# A third party's view: install the SDK into a private prefix, build plugins/example-echo
# out of tree against it with find_package(FormationPluginApi), and check the result with
# formation-plugin-check. Usage: third_party_build.sh BUILD_DIR SOURCE_DIR PLUGIN_CHECK
set -euo pipefail
build_dir="$1" source_dir="$2" plugin_check="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --prefix "$work/usr" --component dev >/dev/null
test -f "$work/usr/include/formation/plugin.hpp"
test -f "$work/usr/include/formation/abi.hpp"
cp -r "$source_dir/plugins/example-echo" "$work/src"
cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_PREFIX_PATH="$work/usr" >/dev/null
cmake --build "$work/build" >/dev/null
test -f "$work/build/example-echo.so"
"$plugin_check" "$work/build/example-echo.so"
