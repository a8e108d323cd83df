#!/usr/bin/env bash
# Fetches axe-core, pinned by version and npm's sha512 integrity, into
# facade/sandbox/testdata/axe.min.js for the browser tests' accessibility
# checks (make axe). Only the npm registry is contacted, through npm.
set -euo pipefail

version="4.14.1"
integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="

cd "$(dirname "$0")/../.."
out="facade/sandbox/testdata/axe.min.js"
if [ -f "$out" ] && head -c 200 "$out" | grep -q "axe v$version"; then
	exit 0
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
(cd "$dir" && npm pack --silent "axe-core@$version" >/dev/null)
tarball="$dir/axe-core-$version.tgz"
got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got" != "$integrity" ]; then
	echo "axe: axe-core-$version.tgz does not match its pinned integrity" >&2
	exit 1
fi
tar -xzf "$tarball" -C "$dir" package/axe.min.js
mkdir -p "$(dirname "$out")"
cp "$dir/package/axe.min.js" "$out"
echo "axe: axe-core $version in $out"
